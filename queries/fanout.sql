-- Fan-out: source devices talking to many distinct destinations (scanners,
-- busy clients), with the number of distinct destination ports.
SELECT srcdevice,
       COUNT(DISTINCT dstdevice) AS peers,
       COUNT(DISTINCT dstport)   AS ports,
       COUNT(*)                  AS flows
FROM flows
GROUP BY srcdevice
HAVING COUNT(DISTINCT dstdevice) >= 10
ORDER BY peers DESC, flows DESC
LIMIT 20
