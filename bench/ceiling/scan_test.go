package main

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
)

// The scanner must agree with encoding/json, or the ceiling would be measuring a
// parser that does less than the real one.
func TestDecodeBenchMatchesEncodingJSON(t *testing.T) {
	doc := []byte(`{"title":"Q\u00e9 \"report\"\n","entries":[
		{"id":1,"title":"E1","score":0.37,"published":true,"author":{"id":2,"name":"A2","email":"a2@ex.io"},"tags":["alpha"]},
		{"id":-3,"title":"\ud83d\ude00","score":1e2,"published":false,"author":{"id":2,"name":"A2","email":"a2@ex.io","x":[1,{"y":null}]}}
	],"tags":["a","b"],"metadata":{"k":"v"},"extra":{"ignored":[true,false,null,1.5,"s"]}}`)
	got, err := decodeBench(doc)
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Title   string `json:"title"`
		Entries []struct {
			ID        int64   `json:"id"`
			Title     string  `json:"title"`
			Score     float64 `json:"score"`
			Published bool    `json:"published"`
			Author    struct {
				ID    int64  `json:"id"`
				Name  string `json:"name"`
				Email string `json:"email"`
			} `json:"author"`
			Tags []string `json:"tags"`
		} `json:"entries"`
		Tags     []string          `json:"tags"`
		Metadata map[string]string `json:"metadata"`
	}
	if err := json.Unmarshal(doc, &want); err != nil {
		t.Fatal(err)
	}
	if got.Title != want.Title || len(got.Entries) != len(want.Entries) ||
		!reflect.DeepEqual(got.Tags, want.Tags) || !reflect.DeepEqual(got.Metadata, want.Metadata) {
		t.Fatalf("header differs: got %+v, want %+v", got, want)
	}
	for i, w := range want.Entries {
		g := got.Entries[i]
		if g.ID != w.ID || g.Title != w.Title || g.Score != w.Score || g.Published != w.Published ||
			g.Author.ID != w.Author.ID || g.Author.Name != w.Author.Name || g.Author.Email != w.Author.Email ||
			len(g.Tags) != len(w.Tags) {
			t.Fatalf("entry %d differs: got %+v, want %+v", i, g, w)
		}
	}
}

func TestDecodeRejectsInvalid(t *testing.T) {
	for _, doc := range []string{
		``, `[]`, `{"title":"t"}`, `{"title":"t","entries":[}`, `{"title":1,"entries":[]}`,
		`{"title":"t","entries":[{"id":"1"}]}`, `{"title":"t","entries":[]} x`, `{"title":"t` + "\x01" + `","entries":[]}`,
	} {
		if _, err := decodeBench([]byte(doc)); err == nil {
			t.Errorf("decodeBench(%q) accepted invalid input", doc)
		}
	}
	if name, err := decodeItem([]byte(`{"name":"w","price":9.99,"is_offer":null}`)); err != nil || name != "w" {
		t.Errorf("decodeItem: %q, %v", name, err)
	}
	if _, err := decodeItem([]byte(`{"name":"w"}`)); err == nil {
		t.Error("decodeItem accepted an item without a price")
	}
}

func TestFloatMatchesStrconv(t *testing.T) {
	for _, tok := range []string{"0", "-0", "0.37", "9.99", "-12.375", "123456789012345", "0.1234567890123456789",
		"1e2", "-2.5E-3", "3.14159265358979", "1234567.0000001"} {
		s := &scanner{b: []byte(tok)}
		got := s.float()
		want, _ := strconv.ParseFloat(tok, 64)
		if s.err != nil || got != want {
			t.Errorf("float(%q) = %v, %v; want %v", tok, got, s.err, want)
		}
	}
}
