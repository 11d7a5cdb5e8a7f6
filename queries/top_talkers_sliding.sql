-- Top talkers over the last minute, sliding every 10 seconds: source devices
-- moving more than 1 MB in a 60-second window.
SELECT HOP("time", 10, 60)     AS window_start,
       HOP_END("time", 10, 60) AS window_end,
       srcdevice,
       SUM(srcbytes + dstbytes) AS bytes,
       COUNT(*)                 AS flows
FROM flows
GROUP BY HOP("time", 10, 60), srcdevice
HAVING SUM(srcbytes + dstbytes) > 1000000
ORDER BY window_start, bytes DESC
