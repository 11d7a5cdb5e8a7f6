-- Traffic over the last minute, every 10 seconds: bytes and flows in
-- 60-second windows sliding by 10 seconds (each flow counts in six
-- windows). Served with --http, the dashboard draws bytes and flows over
-- window start. With --lateness and --mode append each window is emitted
-- once, final.
SELECT HOP("time", 10, 60)      AS window_start,
       HOP_END("time", 10, 60)  AS window_end,
       SUM(srcbytes + dstbytes) AS bytes,
       COUNT(*)                 AS flows
FROM flows
GROUP BY HOP("time", 10, 60)
ORDER BY window_start
