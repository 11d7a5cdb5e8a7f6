-- Spikes: 10-second windows whose traffic crosses 10 GB, with the number of
-- distinct devices talking in them. On the LANL data three windows spike;
-- the small bundled sample has none (try --source flows=../shared/datasets/lanl).
SELECT window("time", 10)        AS window_start,
       SUM(srcbytes + dstbytes)  AS bytes,
       COUNT(DISTINCT srcdevice) AS sources
FROM flows
GROUP BY window("time", 10)
HAVING SUM(srcbytes + dstbytes) > 10000000000
ORDER BY window_start
