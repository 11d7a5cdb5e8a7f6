-- Per-protocol profile reading all eleven fields: a worst case for decoding.
SELECT protocol,
       COUNT(*)                  AS flows,
       MIN("time")               AS first_seen,
       MAX("time")               AS last_seen,
       SUM(duration)             AS duration,
       COUNT(DISTINCT srcdevice) AS sources,
       COUNT(DISTINCT dstdevice) AS destinations,
       COUNT(DISTINCT srcport)   AS src_ports,
       COUNT(DISTINCT dstport)   AS dst_ports,
       SUM(srcpackets)           AS src_packets,
       SUM(dstpackets)           AS dst_packets,
       SUM(srcbytes)             AS src_bytes,
       SUM(dstbytes)             AS dst_bytes
FROM flows
GROUP BY protocol
ORDER BY protocol
