// SPDX-License-Identifier: Apache-2.0
// The reference for the gojson_diff fuzz target: Go's own encoding/json
// decoding JSON into structs shaped like the parts of dockerd's container
// create request that lockset reads ([]string, Docker's StrSlice, a pointer
// to a struct, a struct held by value, a map, a slice of structs, bools and
// strings). It reads
// requests from stdin (4-byte little-endian length, then the bytes) and
// answers each (same framing) with "syntax", "type" (an error other than a
// syntax error: dockerd refuses such a body) or "ok" followed by one
// "key=value" line per decoded field (strings in hex), which the target
// compares with what gojson's views give.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// StrSlice decodes as Docker's strslice.StrSlice: a fresh slice each time,
// from an array or a bare string.
type StrSlice []string

func (e *StrSlice) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	p := make([]string, 0, 1)
	if err := json.Unmarshal(b, &p); err != nil {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		p = append(p, s)
	}
	*e = p
	return nil
}

type Mount struct {
	Type     string
	Source   string
	ReadOnly bool
}

// Spec is held by value, as swarm.ServiceSpec holds its TaskTemplate: null
// leaves it as it was. Inner is a pointer, as TaskSpec's ContainerSpec.
type Inner struct {
	X string
}

type Spec struct {
	Name  string
	Inner *Inner
}

type HostConfig struct {
	Binds       []string
	SecurityOpt []string
	CapAdd      StrSlice
	Privileged  bool
	PidMode     string
	Sysctls     map[string]string
	Mounts      []Mount
}

type Config struct {
	Image      string
	Kind       string
	Entrypoint StrSlice
	Spec       Spec
	HostConfig *HostConfig
}

// The map keys compared (gojson reads map values by exact key).
var mapKeys = []string{"a", "kernel.msgmax", "K", "s"}

func strs(b *strings.Builder, name string, v []string) {
	if v == nil {
		fmt.Fprintf(b, "%s=nil\n", name)
		return
	}
	fmt.Fprintf(b, "%s.len=%d\n", name, len(v))
	for i, s := range v {
		fmt.Fprintf(b, "%s[%d]=%x\n", name, i, s)
	}
}

func dump(c *Config) string {
	var b strings.Builder
	b.WriteString("ok\n")
	fmt.Fprintf(&b, "Image=%x\nKind=%x\n", c.Image, c.Kind)
	strs(&b, "Entrypoint", c.Entrypoint)
	fmt.Fprintf(&b, "Spec.Name=%x\n", c.Spec.Name)
	if c.Spec.Inner == nil {
		b.WriteString("Spec.Inner=nil\n")
	} else {
		fmt.Fprintf(&b, "Spec.Inner=set\nSpec.Inner.X=%x\n", c.Spec.Inner.X)
	}
	h := c.HostConfig
	if h == nil {
		b.WriteString("HostConfig=nil\n")
		return b.String()
	}
	b.WriteString("HostConfig=set\n")
	fmt.Fprintf(&b, "Privileged=%v\nPidMode=%x\n", h.Privileged, h.PidMode)
	strs(&b, "Binds", h.Binds)
	strs(&b, "SecurityOpt", h.SecurityOpt)
	strs(&b, "CapAdd", h.CapAdd)
	if h.Sysctls == nil {
		b.WriteString("Sysctls=nil\n")
	} else {
		b.WriteString("Sysctls=set\n")
		for _, k := range mapKeys {
			if v, ok := h.Sysctls[k]; ok {
				fmt.Fprintf(&b, "Sysctls[%s]=%x\n", k, v)
			}
		}
	}
	if h.Mounts == nil {
		b.WriteString("Mounts=nil\n")
	} else {
		fmt.Fprintf(&b, "Mounts.len=%d\n", len(h.Mounts))
		for i, m := range h.Mounts {
			fmt.Fprintf(&b, "Mounts[%d].Type=%x\nMounts[%d].Source=%x\nMounts[%d].ReadOnly=%v\n",
				i, m.Type, i, m.Source, i, m.ReadOnly)
		}
	}
	return b.String()
}

func judge(data []byte) string {
	var c Config
	err := json.Unmarshal(data, &c)
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return "syntax"
	case err != nil:
		return "type"
	}
	return dump(&c)
}

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	var n uint32
	for binary.Read(in, binary.LittleEndian, &n) == nil {
		data := make([]byte, n)
		if _, err := io.ReadFull(in, data); err != nil {
			return
		}
		answer := judge(data)
		binary.Write(out, binary.LittleEndian, uint32(len(answer)))
		out.WriteString(answer)
		if out.Flush() != nil {
			return
		}
	}
}
