-- Largest flows: the ten biggest single flows seen so far (both
-- directions), kept as the stream runs.
SELECT "time", srcdevice, dstdevice, dstport, srcbytes + dstbytes AS bytes
FROM flows
ORDER BY bytes DESC, "time", srcdevice, dstdevice
LIMIT 10
