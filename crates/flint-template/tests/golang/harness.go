// Differential oracle for flint-template: reads test cases as JSON on stdin, executes each with
// Go's text/template or html/template, and writes the outputs and errors as JSON on stdout.
// Stdlib only, so it builds offline with Debian's golang-go.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	htmltmpl "html/template"
	"io"
	"math"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	texttmpl "text/template"
	"time"
)

type file struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

type testCase struct {
	Name       string          `json:"name"`
	Text       string          `json:"text"`
	Files      []file          `json:"files"`
	Exec       string          `json:"exec"`
	Data       json.RawMessage `json:"data"`
	HTML       bool            `json:"html"`
	MissingKey string          `json:"missingkey"`
	Funcs      string          `json:"funcs"`
}

type result struct {
	Out     string  `json:"out"`
	Err     string  `json:"err"`
	NsPerOp float64 `json:"ns_per_op,omitempty"`
}

// Alertmanager-style notification data, with the methods templates call.
type kv map[string]string

type pair struct{ Name, Value string }

type pairs []pair

func (ps pairs) Names() []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func (ps pairs) Values() []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Value)
	}
	return out
}

func (ps pairs) String() string {
	parts := make([]string, 0, len(ps))
	for _, p := range ps {
		parts = append(parts, p.Name+"="+p.Value)
	}
	return strings.Join(parts, ", ")
}

func (m kv) SortedPairs() pairs {
	keys := make([]string, 0, len(m))
	hasName := false
	for k := range m {
		if k == "alertname" {
			hasName = true
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if hasName {
		keys = append([]string{"alertname"}, keys...)
	}
	out := make(pairs, 0, len(keys))
	for _, k := range keys {
		out = append(out, pair{k, m[k]})
	}
	return out
}

func (m kv) Remove(keys []string) kv {
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	out := kv{}
	for k, v := range m {
		if !drop[k] {
			out[k] = v
		}
	}
	return out
}

func (m kv) Names() []string  { return m.SortedPairs().Names() }
func (m kv) Values() []string { return m.SortedPairs().Values() }

type alert struct {
	Status       string    `json:"status"`
	Labels       kv        `json:"labels"`
	Annotations  kv        `json:"annotations"`
	StartsAt     time.Time `json:"startsAt"`
	EndsAt       time.Time `json:"endsAt"`
	GeneratorURL string    `json:"generatorURL"`
	Fingerprint  string    `json:"fingerprint"`
}

type alerts []alert

func (as alerts) Firing() []alert   { return as.with("firing") }
func (as alerts) Resolved() []alert { return as.with("resolved") }

func (as alerts) with(status string) []alert {
	out := []alert{}
	for _, a := range as {
		if a.Status == status {
			out = append(out, a)
		}
	}
	return out
}

type data struct {
	Receiver          string `json:"receiver"`
	Status            string `json:"status"`
	Alerts            alerts `json:"alerts"`
	GroupLabels       kv     `json:"groupLabels"`
	CommonLabels      kv     `json:"commonLabels"`
	CommonAnnotations kv     `json:"commonAnnotations"`
	ExternalURL       string `json:"externalURL"`
}

// assemble derives what Alertmanager derives: the quoted receiver, the group status and the
// labels and annotations every alert shares.
func assemble(d *data) {
	d.Receiver = regexp.QuoteMeta(d.Receiver)
	d.Status = "resolved"
	d.CommonLabels, d.CommonAnnotations = kv{}, kv{}
	if d.GroupLabels == nil {
		d.GroupLabels = kv{}
	}
	for i, a := range d.Alerts {
		if a.Status == "firing" {
			d.Status = "firing"
		}
		if d.Alerts[i].Labels == nil {
			d.Alerts[i].Labels = kv{}
		}
		if d.Alerts[i].Annotations == nil {
			d.Alerts[i].Annotations = kv{}
		}
	}
	if len(d.Alerts) == 0 {
		return
	}
	for k, v := range d.Alerts[0].Labels {
		d.CommonLabels[k] = v
	}
	for k, v := range d.Alerts[0].Annotations {
		d.CommonAnnotations[k] = v
	}
	for _, a := range d.Alerts[1:] {
		for k, v := range d.CommonLabels {
			if a.Labels[k] != v {
				delete(d.CommonLabels, k)
			}
		}
		for k, v := range d.CommonAnnotations {
			if a.Annotations[k] != v {
				delete(d.CommonAnnotations, k)
			}
		}
	}
}

// Prometheus alert-template data.
type promData struct {
	Labels         map[string]string
	ExternalLabels map[string]string
	ExternalURL    string
	Value          interface{}
}

func special(s string) (float64, bool) {
	switch s {
	case "NaN":
		return math.NaN(), true
	case "+Inf":
		return math.Inf(1), true
	case "-Inf":
		return math.Inf(-1), true
	}
	return 0, false
}

// decode turns the typed JSON encoding shared with the Rust side into Go values.
func decode(raw json.RawMessage) interface{} {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		panic(err)
	}
	for k, v := range m {
		switch k {
		case "s":
			var s string
			json.Unmarshal(v, &s)
			return s
		case "i":
			var i int
			json.Unmarshal(v, &i)
			return i
		case "u":
			var u uint64
			json.Unmarshal(v, &u)
			return u
		case "f":
			var s string
			if json.Unmarshal(v, &s) == nil {
				f, _ := special(s)
				return f
			}
			var f float64
			json.Unmarshal(v, &f)
			return f
		case "b":
			var b bool
			json.Unmarshal(v, &b)
			return b
		case "nil":
			return nil
		case "l":
			var items []json.RawMessage
			json.Unmarshal(v, &items)
			out := []interface{}{}
			for _, it := range items {
				out = append(out, decode(it))
			}
			return out
		case "ls":
			var items []string
			json.Unmarshal(v, &items)
			return items
		case "m":
			var items map[string]json.RawMessage
			json.Unmarshal(v, &items)
			out := map[string]interface{}{}
			for k, it := range items {
				out[k] = decode(it)
			}
			return out
		case "ms":
			var items map[string]string
			json.Unmarshal(v, &items)
			return items
		case "t":
			var s string
			json.Unmarshal(v, &s)
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				panic(err)
			}
			return t.UTC()
		case "d":
			var n int64
			json.Unmarshal(v, &n)
			return time.Duration(n)
		case "am":
			var d data
			if err := json.Unmarshal(v, &d); err != nil {
				panic(err)
			}
			for i := range d.Alerts {
				d.Alerts[i].StartsAt = d.Alerts[i].StartsAt.UTC()
				d.Alerts[i].EndsAt = d.Alerts[i].EndsAt.UTC()
			}
			assemble(&d)
			return &d
		case "prom":
			var p struct {
				Labels         map[string]string `json:"labels"`
				ExternalLabels map[string]string `json:"externalLabels"`
				ExternalURL    string            `json:"externalURL"`
				Value          float64           `json:"value"`
			}
			json.Unmarshal(v, &p)
			return promData{p.Labels, p.ExternalLabels, p.ExternalURL, p.Value}
		}
	}
	panic("unknown value encoding: " + string(raw))
}

func amFuncs() map[string]interface{} {
	return map[string]interface{}{
		"toUpper":   strings.ToUpper,
		"toLower":   strings.ToLower,
		"trimSpace": strings.TrimSpace,
		"join": func(sep string, s []string) string {
			return strings.Join(s, sep)
		},
		"match":       regexp.MatchString,
		"safeHtml":    func(s string) htmltmpl.HTML { return htmltmpl.HTML(s) },
		"safeUrl":     func(s string) htmltmpl.URL { return htmltmpl.URL(s) },
		"urlUnescape": url.QueryUnescape,
		"reReplaceAll": func(pattern, repl, text string) string {
			return regexp.MustCompile(pattern).ReplaceAllString(text, repl)
		},
		"stringSlice": func(s ...string) []string { return s },
		"date":        func(layout string, t time.Time) string { return t.Format(layout) },
		"tz": func(name string, t time.Time) (time.Time, error) {
			loc, err := time.LoadLocation(name)
			if err != nil {
				return time.Time{}, err
			}
			return t.In(loc), nil
		},
		"toJson": func(v interface{}) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
	}
}

type executor interface {
	ExecuteTemplate(w io.Writer, name string, data interface{}) error
}

// parse builds the case's template set with text/template or html/template.
func parse(c testCase, opt string, funcs map[string]interface{}) (executor, error) {
	if c.HTML {
		t := htmltmpl.New(c.Name).Funcs(funcs).Option(opt)
		for _, f := range c.Files {
			if _, err := t.New(f.Name).Parse(f.Text); err != nil {
				return nil, err
			}
		}
		_, err := t.Parse(c.Text)
		return t, err
	}
	t := texttmpl.New(c.Name).Funcs(funcs).Option(opt)
	for _, f := range c.Files {
		if _, err := t.New(f.Name).Parse(f.Text); err != nil {
			return nil, err
		}
	}
	_, err := t.Parse(c.Text)
	return t, err
}

func run(c testCase) (res result) {
	defer func() {
		if r := recover(); r != nil {
			res.Err = fmt.Sprintf("panic: %v", r)
		}
	}()
	opt := "missingkey=" + c.MissingKey
	if c.MissingKey == "" {
		opt = "missingkey=default"
	}
	var funcs map[string]interface{}
	if c.Funcs == "am" {
		funcs = amFuncs()
	}
	exec := c.Exec
	if exec == "" {
		exec = c.Name
	}
	t, err := parse(c, opt, funcs)
	if err != nil {
		return result{Err: err.Error()}
	}
	var buf bytes.Buffer
	d := decode(c.Data)
	if err := t.ExecuteTemplate(&buf, exec, d); err != nil {
		return result{Out: buf.String(), Err: err.Error()}
	}
	res.Out = buf.String()
	if benchIters > 0 {
		res.NsPerOp = bench(func() { buf.Reset(); t.ExecuteTemplate(&buf, exec, d) })
	}
	return res
}

// benchIters > 0 (HARNESS_BENCH_ITERS) makes each successful case also report the mean time
// of that many further executions.
var benchIters = 0

func bench(f func()) float64 {
	start := time.Now()
	for i := 0; i < benchIters; i++ {
		f()
	}
	return float64(time.Since(start).Nanoseconds()) / float64(benchIters)
}

func main() {
	if n := os.Getenv("HARNESS_BENCH_ITERS"); n != "" {
		fmt.Sscan(n, &benchIters)
	}
	var cases []testCase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	results := make([]result, 0, len(cases))
	for _, c := range cases {
		results = append(results, run(c))
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
