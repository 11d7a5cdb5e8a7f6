package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"brook/diff"
	"brook/ingest"
	"brook/value"
)

// KafkaSink publishes results to a Kafka topic: one record per emitted row,
// its value the row as a JSON object keyed by column name, its key the
// row's group key (the key column's value as text, or a JSON array of the
// values for several key columns; no key for results without one). Rows of
// a micro-batch carry a "brook-batch" header with the batch number; a final
// result (--emit final) has none.
//
// Update vs append: in append mode each row is published once; in update
// mode a row is published whenever its group changed, so the last record of
// a key is its current value (a compacted topic keeps exactly the current
// result); in complete mode every batch republishes the whole result.
//
// Batch and Result return once the broker has acknowledged every record,
// so a consuming source commits its offsets only after the results are
// stored.
type KafkaSink struct {
	cl     *kgo.Client
	topic  string
	schema value.Schema
	keys   []int
}

// OpenKafka opens kafka://broker1,broker2/topic as a sink. The topic is
// created if the brokers allow automatic creation.
func OpenKafka(uri string, t Target) (*KafkaSink, error) {
	k, err := ingest.ParseKafkaURI(uri)
	if err != nil {
		return nil, fmt.Errorf("sink %w", err)
	}
	if len(k.Query) > 0 {
		return nil, fmt.Errorf("sink %s: a Kafka sink takes no parameters", uri)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.Brokers...), kgo.DefaultProduceTopic(k.Topic),
		kgo.AllowAutoTopicCreation(), kgo.DialTimeout(ingest.DialTimeout), kgo.ProducerLinger(0),
		kgo.RecordDeliveryTimeout(30*time.Second))
	if err != nil {
		return nil, fmt.Errorf("sink %s: %w", uri, err)
	}
	return &KafkaSink{cl: cl, topic: k.Topic, schema: t.Schema, keys: t.Keys}, nil
}

// Batch publishes a micro-batch's rows and waits for the broker.
func (s *KafkaSink) Batch(info BatchInfo, rows [][]value.Value) error {
	return s.publish(rows, []kgo.RecordHeader{{Key: "brook-batch", Value: []byte(strconv.FormatInt(info.ID, 10))}})
}

// Result publishes a final result and waits for the broker.
func (s *KafkaSink) Result(rows [][]value.Value) error { return s.publish(rows, nil) }

func (s *KafkaSink) publish(rows [][]value.Value, headers []kgo.RecordHeader) error {
	if len(rows) == 0 {
		return nil
	}
	recs := make([]*kgo.Record, len(rows))
	for i, row := range rows {
		v, err := rowJSON(s.schema, row)
		if err != nil {
			return err
		}
		recs[i] = &kgo.Record{Topic: s.topic, Key: s.key(row), Value: v, Headers: headers}
	}
	if err := s.cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		return fmt.Errorf("kafka sink %s: %w", s.topic, err)
	}
	return nil
}

// key renders the row's group key: nil without key columns, the value's
// text for one, a JSON array for several.
func (s *KafkaSink) key(row []value.Value) []byte {
	switch len(s.keys) {
	case 0:
		return nil
	case 1:
		v := row[s.keys[0]]
		if v.IsNull() {
			return []byte("null")
		}
		return []byte(v.Format())
	}
	vals := make([]any, len(s.keys))
	for i, k := range s.keys {
		vals[i] = diff.JSONValue(row[k])
	}
	b, _ := json.Marshal(vals)
	return b
}

// Close flushes and closes the client.
func (s *KafkaSink) Close() error {
	err := s.cl.Flush(context.Background())
	s.cl.Close()
	return err
}
