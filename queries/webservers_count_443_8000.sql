-- Web servers by the pitch's definition: the number of distinct devices
-- receiving flows on HTTPS (443) or the alternate HTTP port (8000), the
-- ports queries/webservers.sql ranks devices by. On the LANL set this is
-- 220 devices: LANL has no flow to port 8000, so these are its HTTPS
-- servers. The Spark exercise counts ports 80 and 443 instead
-- (webservers_exercise.sql: 464).
SELECT COUNT(DISTINCT DstDevice) AS web_servers
FROM flows
WHERE DstPort IN (443, 8000)
