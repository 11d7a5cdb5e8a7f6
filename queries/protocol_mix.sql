-- Protocol mix: flows, bytes and mean duration per IP protocol.
SELECT CASE protocol WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' WHEN 1 THEN 'ICMP' ELSE 'other' END AS proto,
       COUNT(*)                 AS flows,
       SUM(srcbytes + dstbytes) AS bytes,
       AVG(duration)            AS avg_duration
FROM flows
GROUP BY proto
ORDER BY flows DESC
