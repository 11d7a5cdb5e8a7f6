// Package gen owns brook's synthetic netflow data: a deterministic
// generator of records shaped like the Los Alamos (LANL) netflow data set,
// used for brook's committed test data and for benchmarks.
//
// Each record is one line of JSON with exactly these 11 keys, in this
// order: time, duration, srcdevice, dstdevice, protocol, srcport, dstport,
// srcpackets, dstpackets, srcbytes, dstbytes. Numbers are whole values
// written as doubles ("6.0"); devices and ports are strings. Times are
// whole seconds, start at Options.StartTime and advance by one second every
// Options.RowsPerSecond rows, so rows are in time order within and across
// files. Devices are "Comp" plus six digits drawn with a Zipf skew, plus the
// named hosts EnterpriseAppServer, ActiveDirectory, VPN and Mail; a few
// heavy web servers receive most traffic to ports 80, 443 and 8000. About
// 45% of dstport values are well-known numeric ports, the rest anonymised
// "Port" plus five digits. Packet and byte counts are heavy-tailed and
// correlated.
//
// The output is a pure function of the Options: the same Options and Seed
// give byte-identical output on every run and every platform (the
// generator uses PCG from math/rand/v2 and integer arithmetic only).
//
// Example: New(Options{Seed: 1}) yields, for its first three rows (this
// output is checked by ExampleNew),
//
//	{"time": 172800.0, "duration": 0.0, "srcdevice": "Comp290465", "dstdevice": "Comp100409", "protocol": 6.0, "srcport": "53", "dstport": "53", "srcpackets": 0.0, "dstpackets": 1.0, "srcbytes": 0.0, "dstbytes": 89.0}
//	{"time": 172800.0, "duration": 31.0, "srcdevice": "Comp425088", "dstdevice": "Comp710738", "protocol": 6.0, "srcport": "Port16654", "dstport": "Port35995", "srcpackets": 3.0, "dstpackets": 1.0, "srcbytes": 3414.0, "dstbytes": 344.0}
//	{"time": 172800.0, "duration": 3.0, "srcdevice": "Comp736701", "dstdevice": "Comp185312", "protocol": 6.0, "srcport": "Port65531", "dstport": "Port50158", "srcpackets": 4.0, "dstpackets": 1.0, "srcbytes": 228.0, "dstbytes": 691.0}
//
// and WriteDir(dir, Options{Files: 4, RowsPerFile: 1_000_000}) writes
// dir/flows_0001.json ... dir/flows_0004.json, four million rows in all.
package gen
