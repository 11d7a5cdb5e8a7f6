-- Big flows: every flow moving more than 1 MB, as it arrives (append mode).
SELECT "time", srcdevice, dstdevice, dstport, srcbytes + dstbytes AS bytes
FROM flows
WHERE srcbytes + dstbytes > 1000000
