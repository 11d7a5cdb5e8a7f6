-- Traffic spikes: the minutes (60-second windows sliding by 10 seconds)
-- moving more than 5 MB, with their flows and distinct sources. The bundled
-- sample has five; on real traffic raise the threshold to what is unusual
-- there (on the LANL data every window moves more than 5 MB; 50 GB leaves
-- the three busiest, starting at 172780, 172790 and 172800).
SELECT HOP("time", 10, 60)       AS window_start,
       HOP_END("time", 10, 60)   AS window_end,
       SUM(srcbytes + dstbytes)  AS bytes,
       COUNT(*)                  AS flows,
       COUNT(DISTINCT srcdevice) AS sources
FROM flows
GROUP BY HOP("time", 10, 60)
HAVING SUM(srcbytes + dstbytes) > 5000000
ORDER BY window_start
