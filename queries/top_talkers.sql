-- Top talkers: the source devices moving the most bytes (both directions).
SELECT srcdevice,
       SUM(srcbytes + dstbytes) AS bytes,
       COUNT(*)                 AS flows
FROM flows
GROUP BY srcdevice
ORDER BY bytes DESC
LIMIT 10
