// annealer-status-check: what GitOps tools conclude from a FineTuneJob's status, computed by their own code.
//
//	annealer-status-check kstatus < objects.json          kstatus (Flux, kubectl-wait-style tools, cli-utils)
//	annealer-status-check lua HEALTH.lua < objects.json   an Argo CD resource health check, run with gopher-lua
//
// The input is one object, a JSON array of objects, or a v1 List; the output is one JSON line per object:
// {"name":..., "status":..., "message":...}. kstatus: status.Compute of sigs.k8s.io/cli-utils. lua: the script
// sees the object as the global `obj` (maps as tables, arrays as 1-based tables, like Argo CD) and returns a table
// {status=..., message=...}; only the base, table, string and math libraries are open, as in Argo CD.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

func main() {
	if len(os.Args) < 2 || (os.Args[1] == "lua" && len(os.Args) != 3) || (os.Args[1] != "lua" && os.Args[1] != "kstatus") {
		fmt.Fprintln(os.Stderr, "usage: annealer-status-check kstatus < objects.json | annealer-status-check lua HEALTH.lua < objects.json")
		os.Exit(2)
	}
	in, err := io.ReadAll(os.Stdin)
	check(err, "reading stdin")
	objects, err := parse(in)
	check(err, "parsing stdin as a JSON object, array or List")
	var script string
	if os.Args[1] == "lua" {
		b, err := os.ReadFile(os.Args[2])
		check(err, "reading the Lua script")
		script = string(b)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, o := range objects {
		u := &unstructured.Unstructured{Object: o}
		v := verdict{Name: u.GetName()}
		if script == "" {
			res, err := status.Compute(u)
			check(err, "kstatus status.Compute of "+u.GetName())
			v.Status, v.Message = res.Status.String(), res.Message
		} else {
			v.Status, v.Message, err = runLua(script, o)
			check(err, "running the Lua health check on "+u.GetName())
		}
		check(enc.Encode(v), "writing stdout")
	}
}

func parse(in []byte) ([]map[string]interface{}, error) {
	var any interface{}
	// why: like the API machinery, integers as int64 (kstatus reads metadata.generation as int64)
	if err := utiljson.Unmarshal(in, &any); err != nil {
		return nil, err
	}
	var items []interface{}
	switch t := any.(type) {
	case []interface{}:
		items = t
	case map[string]interface{}:
		if list, ok := t["items"].([]interface{}); ok && t["kind"] == "List" {
			items = list
		} else {
			items = []interface{}{t}
		}
	default:
		return nil, fmt.Errorf("expected an object, an array or a List, got %T", any)
	}
	out := make([]map[string]interface{}, 0, len(items))
	for i, it := range items {
		m, ok := it.(map[string]interface{})
		if !ok {
			return nil, fmt.Errorf("item %d is %T, not an object", i, it)
		}
		out = append(out, m)
	}
	return out, nil
}

// runLua runs an Argo CD style health script: global obj in, {status, message} out.
func runLua(script string, obj map[string]interface{}) (string, string, error) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		if err := L.CallByParam(lua.P{Fn: L.NewFunction(lib.fn), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return "", "", err
		}
	}
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoString(script); err != nil {
		return "", "", err
	}
	ret, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		return "", "", fmt.Errorf("the script returned %s, not a table {status=..., message=...}", L.Get(-1).Type())
	}
	return lua.LVAsString(ret.RawGetString("status")), lua.LVAsString(ret.RawGetString("message")), nil
}

func toLua(L *lua.LState, v interface{}) lua.LValue {
	switch t := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(t)
	case float64:
		return lua.LNumber(t)
	case int64:
		return lua.LNumber(t)
	case string:
		return lua.LString(t)
	case []interface{}:
		tbl := L.NewTable()
		for _, e := range t {
			tbl.Append(toLua(L, e))
		}
		return tbl
	case map[string]interface{}:
		tbl := L.NewTable()
		for k, e := range t {
			tbl.RawSetString(k, toLua(L, e))
		}
		return tbl
	default:
		return lua.LString(fmt.Sprint(t))
	}
}

func check(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "annealer-status-check: %s: %v\n", what, err)
		os.Exit(1)
	}
}
