-- Well-known destination ports: anonymised ports are written "Port12345",
-- well-known ones as plain digits.
SELECT dstport, COUNT(*) AS flows, COUNT(DISTINCT dstdevice) AS servers
FROM flows
WHERE dstport NOT LIKE 'Port%'
GROUP BY dstport
ORDER BY flows DESC
LIMIT 15
