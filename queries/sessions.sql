-- Sessions: bursts of activity per source device; a session ends when the
-- device is quiet for 30 seconds. Only busy sessions (100+ flows) are kept.
SELECT srcdevice,
       SESSION("time", 30)     AS session_start,
       SESSION_END("time", 30) AS session_end,
       COUNT(*)                AS flows,
       SUM(srcbytes + dstbytes) AS bytes
FROM flows
GROUP BY srcdevice, SESSION("time", 30)
HAVING COUNT(*) >= 100
ORDER BY flows DESC
LIMIT 50
