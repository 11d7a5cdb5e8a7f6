-- Bytes per 10 seconds: total traffic in 10-second tumbling windows, the
-- line chart operators watch. With --lateness the watermark closes windows
-- and --mode append emits each one once, final.
SELECT TUMBLE("time", 10)     AS window_start,
       TUMBLE_END("time", 10) AS window_end,
       SUM(srcbytes + dstbytes) AS bytes,
       COUNT(*)                 AS flows
FROM flows
GROUP BY TUMBLE("time", 10)
ORDER BY window_start
