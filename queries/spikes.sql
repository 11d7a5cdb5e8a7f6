-- Spikes: 10-second windows whose traffic crosses 50 MB, with the number of
-- distinct devices talking in them.
SELECT window("time", 10)        AS window_start,
       SUM(srcbytes + dstbytes)  AS bytes,
       COUNT(DISTINCT srcdevice) AS sources
FROM flows
GROUP BY window("time", 10)
HAVING SUM(srcbytes + dstbytes) > 50000000
ORDER BY window_start
