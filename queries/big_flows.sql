-- Big flows: every flow moving more than 10 MB, as it arrives (append mode).
SELECT "time", srcdevice, dstdevice, dstport, srcbytes + dstbytes AS bytes
FROM flows
WHERE srcbytes + dstbytes > 10000000
