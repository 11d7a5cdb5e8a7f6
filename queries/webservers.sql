-- Web servers: the devices receiving the most flows on HTTPS (443) and the
-- alternate HTTP port (8000). dstport is a string ("443", "Port05507"): a
-- string compared with a number matches when it holds that number.
SELECT DstDevice, COUNT(*) AS hits
FROM flows
WHERE DstPort IN (443, 8000)
GROUP BY DstDevice
ORDER BY hits DESC
LIMIT 20
