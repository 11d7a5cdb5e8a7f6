package gen

import "brook/value"

// Schema is the schema of the generated records, the types DuckDB's
// read_json_auto infers for them (and for the LANL files they imitate).
var Schema = value.Schema{
	{Name: "time", Type: value.Float}, {Name: "duration", Type: value.Float},
	{Name: "srcdevice", Type: value.String}, {Name: "dstdevice", Type: value.String},
	{Name: "protocol", Type: value.Float}, {Name: "srcport", Type: value.String},
	{Name: "dstport", Type: value.String}, {Name: "srcpackets", Type: value.Float},
	{Name: "dstpackets", Type: value.Float}, {Name: "srcbytes", Type: value.Float},
	{Name: "dstbytes", Type: value.Float},
}
