-- Web servers, as the Spark Structured Streaming exercise counts them: the
-- number of distinct devices receiving flows on HTTP (80) or HTTPS (443).
-- On the LANL set this is 464 devices; the pitch's question,
-- webservers.sql, asks for the busiest devices on 443 and 8000 instead
-- (LANL has no flow to port 8000, so those are the HTTPS servers: 220).
SELECT COUNT(DISTINCT DstDevice) AS web_servers
FROM flows
WHERE DstPort IN (80, 443)
