// Command gotemplate executes an injection template the way istiod 1.30.3 does, so that
// meshctl's templates (manifests/injection/*.tmpl) can be tested against real Go
// text/template + sprig semantics rather than a re-implementation of them.
//
// A Go module (go.mod beside this file) pinning sprig v3.3.0 and yaml.v2 v2.4.0 as Istio
// 1.30.3 does; build and run with any Go 1.25 or newer and the Go module proxy:
//
//	go run . < request.json
//
// Request on stdin (JSON):
//
//	{"template": "<template text>", "data": {<SidecarTemplateData>}, "output": "raw"|"json"}
//
// "raw" (the default) prints exactly what the template printed. "json" additionally parses
// that text as istiod does (YAML 1.1 via go-yaml v2, then JSON) and prints the JSON, so a
// caller sees the fragment istiod would merge into the pod, independent of its own YAML
// parser. Any failure (bad request, parse or execution error, output that is not YAML) is
// printed to stderr with exit code 1.
//
// # How the data is represented
//
// istiod executes templates over pkg/kube/inject.SidecarTemplateData, a Go struct whose
// Kubernetes parts are k8s.io/api types and whose mesh parts are istio.io/api protobuf
// messages. Templates reach into them by Go field name (.ObjectMeta.Annotations,
// .ProxyConfig.InterceptionMode, .MeshConfig.TrustDomain) and by method
// (.ProxyConfig.HoldApplicationUntilProxyStarts.GetValue, .ProxyConfig.InterceptionMode.String).
// This harness declares Go structs with the same exported field names, field types and
// methods for every part a template can read, and decodes the request into them:
//
//   - the top-level keys are the Go field names of SidecarTemplateData (TypeMeta,
//     DeploymentMeta, ObjectMeta, Spec, ProxyConfig, MeshConfig, Values, Revision,
//     NativeSidecars, ProxyImage, ProxyUID, ProxyGID, InboundTrafficPolicyMode,
//     CompliancePolicy); unknown top-level keys are rejected;
//   - TypeMeta, ObjectMeta and Spec use Kubernetes JSON (apiVersion, labels, containers,
//     ports[].containerPort, ...), DeploymentMeta is types.NamespacedName ({Namespace, Name});
//   - ProxyConfig and MeshConfig use protobuf JSON (lowerCamel names, enums as strings,
//     wrapper types as bare values), as in the mesh config YAML;
//   - Values is the injector "values" map, decoded with encoding/json into
//     map[string]interface{} exactly as istiod holds it (numbers are float64).
//
// Templates are parsed as istiod's parseDryTemplate does: template.New("inject"), sprig's
// TxtFuncMap, then Istio's helpers on top (so Istio's "indent" and "contains" replace
// sprig's), and no missingkey option: a missing map key yields the zero value and prints
// "<no value>", just as in istiod.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	sprig "github.com/Masterminds/sprig/v3"
	yaml "gopkg.in/yaml.v2"
)

// ---------------------------------------------------------------------------------------
// Template data: same exported names and kinds as istiod's SidecarTemplateData.

// TemplateData mirrors pkg/kube/inject.SidecarTemplateData at Istio 1.30.
type TemplateData struct {
	TypeMeta                 TypeMeta
	DeploymentMeta           NamespacedName
	ObjectMeta               ObjectMeta
	Spec                     PodSpec
	ProxyConfig              *ProxyConfig
	MeshConfig               *MeshConfig
	Values                   map[string]interface{}
	Revision                 string
	NativeSidecars           bool
	ProxyImage               string
	ProxyUID                 int64
	ProxyGID                 int64
	InboundTrafficPolicyMode string
	CompliancePolicy         string
}

// TypeMeta mirrors metav1.TypeMeta.
type TypeMeta struct {
	Kind       string `json:"kind,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
}

// NamespacedName mirrors k8s.io/apimachinery/pkg/types.NamespacedName (no JSON tags upstream).
type NamespacedName struct {
	Namespace string
	Name      string
}

// ObjectMeta mirrors the metav1.ObjectMeta fields a pod template carries.
type ObjectMeta struct {
	Name         string            `json:"name,omitempty"`
	GenerateName string            `json:"generateName,omitempty"`
	Namespace    string            `json:"namespace,omitempty"`
	UID          string            `json:"uid,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// PodSpec mirrors the corev1.PodSpec fields injection templates read.
type PodSpec struct {
	InitContainers     []Container `json:"initContainers,omitempty"`
	Containers         []Container `json:"containers"`
	ServiceAccountName string      `json:"serviceAccountName,omitempty"`
	NodeName           string      `json:"nodeName,omitempty"`
	HostNetwork        bool        `json:"hostNetwork,omitempty"`
}

// Container mirrors the corev1.Container fields injection templates read.
type Container struct {
	Name    string          `json:"name"`
	Image   string          `json:"image,omitempty"`
	Command []string        `json:"command,omitempty"`
	Args    []string        `json:"args,omitempty"`
	Ports   []ContainerPort `json:"ports,omitempty"`
}

// ContainerPort mirrors corev1.ContainerPort, field order and JSON tags included, because
// structToJSON of a port is what ends up in ISTIO_META_POD_PORTS.
type ContainerPort struct {
	Name          string `json:"name,omitempty"`
	HostPort      int32  `json:"hostPort,omitempty"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"`
	HostIP        string `json:"hostIP,omitempty"`
}

// InterceptionMode mirrors meshconfig.ProxyConfig_InboundInterceptionMode: an enum whose
// fmt form and String() are its name.
type InterceptionMode int32

var interceptionModeNames = []string{"REDIRECT", "TPROXY", "NONE"}

func (m InterceptionMode) String() string {
	if int(m) >= 0 && int(m) < len(interceptionModeNames) {
		return interceptionModeNames[m]
	}
	return strconv.Itoa(int(m))
}

func (m *InterceptionMode) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		for i, n := range interceptionModeNames {
			if n == name {
				*m = InterceptionMode(i)
				return nil
			}
		}
		return fmt.Errorf("unknown interceptionMode %q", name)
	}
	var n int32
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("interceptionMode: %v", err)
	}
	*m = InterceptionMode(n)
	return nil
}

// BoolValue mirrors wrapperspb.BoolValue, including its nil-safe GetValue.
type BoolValue struct{ Value bool }

func (b *BoolValue) GetValue() bool { return b != nil && b.Value }

func (b *BoolValue) UnmarshalJSON(raw []byte) error { return json.Unmarshal(raw, &b.Value) }

// Int32Value mirrors wrapperspb.Int32Value.
type Int32Value struct{ Value int32 }

func (v *Int32Value) GetValue() int32 {
	if v == nil {
		return 0
	}
	return v.Value
}

func (v *Int32Value) UnmarshalJSON(raw []byte) error { return json.Unmarshal(raw, &v.Value) }

// ProxyImage mirrors networking/v1beta1.ProxyImage.
type ProxyImage struct {
	ImageType string `json:"imageType,omitempty"`
}

// ProxyConfig mirrors the meshconfig.ProxyConfig fields injection templates read. The
// request's protobuf JSON is also kept, in its original member order, for protoToJSON.
type ProxyConfig struct {
	ConfigPath                      string            `json:"configPath"`
	BinaryPath                      string            `json:"binaryPath"`
	ServiceCluster                  string            `json:"serviceCluster"`
	DiscoveryAddress                string            `json:"discoveryAddress"`
	ProxyAdminPort                  int32             `json:"proxyAdminPort"`
	StatNameLength                  int32             `json:"statNameLength"`
	StatusPort                      int32             `json:"statusPort"`
	Concurrency                     *Int32Value       `json:"concurrency"`
	InterceptionMode                InterceptionMode  `json:"interceptionMode"`
	ProxyMetadata                   map[string]string `json:"proxyMetadata"`
	HoldApplicationUntilProxyStarts *BoolValue        `json:"holdApplicationUntilProxyStarts"`
	Image                           *ProxyImage       `json:"image"`

	raw []member
}

func (p *ProxyConfig) UnmarshalJSON(b []byte) error {
	type plain ProxyConfig
	if err := json.Unmarshal(b, (*plain)(p)); err != nil {
		return err
	}
	members, err := orderedMembers(b)
	if err != nil {
		return err
	}
	p.raw = members
	return nil
}

func (p *ProxyConfig) GetProxyMetadata() map[string]string {
	if p == nil {
		return nil
	}
	return p.ProxyMetadata
}

func (p *ProxyConfig) GetHoldApplicationUntilProxyStarts() *BoolValue {
	if p == nil {
		return nil
	}
	return p.HoldApplicationUntilProxyStarts
}

func (p *ProxyConfig) GetStatusPort() int32 {
	if p == nil {
		return 0
	}
	return p.StatusPort
}

// MeshConfig mirrors the meshconfig.MeshConfig fields injection templates read.
type MeshConfig struct {
	ProxyListenPort        int32        `json:"proxyListenPort"`
	ProxyInboundListenPort int32        `json:"proxyInboundListenPort"`
	TrustDomain            string       `json:"trustDomain"`
	RootNamespace          string       `json:"rootNamespace"`
	EnablePrometheusMerge  *BoolValue   `json:"enablePrometheusMerge"`
	DefaultConfig          *ProxyConfig `json:"defaultConfig"`
	// extensionProviders holds what otelResourceAttributes reads (unexported, as the request's
	// extra members ride along with ProxyConfig, so that printing the struct stays as it was).
	extensionProviders []ExtensionProvider
}

// UnmarshalJSON decodes the exported fields and keeps the extension providers aside.
func (m *MeshConfig) UnmarshalJSON(b []byte) error {
	type plain MeshConfig
	if err := json.Unmarshal(b, (*plain)(m)); err != nil {
		return err
	}
	var extra struct {
		ExtensionProviders []ExtensionProvider `json:"extensionProviders"`
	}
	if err := json.Unmarshal(b, &extra); err != nil {
		return err
	}
	m.extensionProviders = extra.ExtensionProviders
	return nil
}

// ExtensionProvider mirrors the part of a mesh config extension provider Istio's helpers read.
type ExtensionProvider struct {
	Name          string `json:"name"`
	Opentelemetry *struct {
		ServiceAttributeEnrichment string `json:"serviceAttributeEnrichment"`
	} `json:"opentelemetry"`
}

func (m *MeshConfig) GetDefaultConfig() *ProxyConfig {
	if m == nil {
		return nil
	}
	return m.DefaultConfig
}

func (m *MeshConfig) GetTrustDomain() string {
	if m == nil {
		return ""
	}
	return m.TrustDomain
}

// member is one key of a JSON object, kept in document order.
type member struct {
	Key   string
	Value json.RawMessage
}

func orderedMembers(b []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("expected a JSON object")
	}
	var out []member
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		out = append(out, member{Key: keyTok.(string), Value: raw})
	}
	return out, nil
}

// ---------------------------------------------------------------------------------------
// Istio's template helpers (pkg/kube/inject/template.go), same names and semantics.

func istioFuncs() template.FuncMap {
	return template.FuncMap{
		"formatDuration":         formatDuration,
		"isset":                  isset,
		"excludeInboundPort":     excludeInboundPort,
		"includeInboundPorts":    includeInboundPorts,
		"kubevirtInterfaces":     identity,
		"excludeInterfaces":      identity,
		"applicationPorts":       applicationPorts,
		"annotation":             annotation,
		"valueOrDefault":         valueOrDefault,
		"toJSON":                 toJSON,
		"fromJSON":               fromJSON,
		"structToJSON":           structToJSON,
		"protoToJSON":            protoToJSON,
		"toYaml":                 toYaml,
		"indent":                 indent,
		"directory":              directory,
		"contains":               flippedContains,
		"toLower":                strings.ToLower,
		"appendMultusNetwork":    appendMultusNetwork,
		"env":                    env,
		"omit":                   omit,
		"strdict":                strdict,
		"toJsonMap":              toJSONMap,
		"mergeMaps":              mergeMaps,
		"omitNil":                omitNil,
		"otelResourceAttributes": otelResourceAttributes,
	}
}

// otelResourceAttributes is Istio 1.30.3's helper of that name: the OTEL_RESOURCE_ATTRIBUTES value
// when an OpenTelemetry provider asks for OTEL_SEMANTIC_CONVENTIONS enrichment, else "".
func otelResourceAttributes(mc *MeshConfig, annotations, labels map[string]string, namespace string, containers []Container) string {
	enabled := false
	if mc != nil {
		for _, p := range mc.extensionProviders {
			if p.Opentelemetry != nil && p.Opentelemetry.ServiceAttributeEnrichment == "OTEL_SEMANTIC_CONVENTIONS" {
				enabled = true
				break
			}
		}
	}
	if !enabled {
		return ""
	}
	var attrs []string
	if v := annotations["resource.opentelemetry.io/service.namespace"]; v != "" {
		attrs = append(attrs, "service.namespace="+v)
	} else if namespace != "" {
		attrs = append(attrs, "service.namespace="+namespace)
	}
	version := annotations["resource.opentelemetry.io/service.version"]
	if version == "" {
		version = labels["app.kubernetes.io/version"]
	}
	if version == "" && len(containers) == 1 {
		image, digest := containers[0].Image, ""
		if i := strings.Index(image, "@"); i >= 0 {
			digest, image = image[i+1:], image[:i]
		}
		tag := ""
		if c := strings.LastIndex(image, ":"); c > strings.LastIndex(image, "/") {
			tag = image[c+1:]
		}
		switch {
		case tag != "" && digest != "":
			version = tag + "@" + digest
		case digest != "":
			version = digest
		default:
			version = tag
		}
	}
	if version != "" {
		attrs = append(attrs, "service.version="+version)
	}
	if v := annotations["resource.opentelemetry.io/service.instance.id"]; v != "" {
		attrs = append(attrs, "service.instance.id="+v)
	} else if len(containers) > 0 {
		attrs = append(attrs, "service.instance.id="+namespace+".$(POD_NAME)."+containers[0].Name)
	}
	return strings.Join(attrs, ",")
}

// annotation returns the pod annotation name, or fmt.Sprint(def) when it is absent
// (a missing values key therefore becomes "<nil>", as in istiod).
func annotation(meta ObjectMeta, name string, def interface{}) string {
	if v, ok := meta.Annotations[name]; ok {
		return v
	}
	return fmt.Sprint(def)
}

// isset reports whether key is present in m (even with an empty value).
func isset(m map[string]string, key string) bool {
	_, ok := m[key]
	return ok
}

// valueOrDefault returns def when value is "" or nil, else value.
func valueOrDefault(value interface{}, def interface{}) interface{} {
	if value == "" || value == nil {
		return def
	}
	return value
}

// excludeInboundPort appends port to the comma list unless it is empty, "0" or already
// listed; blank entries are dropped when appending.
func excludeInboundPort(port interface{}, excluded string) string {
	p := strings.TrimSpace(fmt.Sprint(port))
	if p == "" || p == "0" {
		return excluded
	}
	parts := strings.Split(excluded, ",")
	kept := make([]string, 0, len(parts)+1)
	for _, e := range parts {
		if e == p {
			return excluded
		}
		if e = strings.TrimSpace(e); e != "" {
			kept = append(kept, e)
		}
	}
	return strings.Join(append(kept, p), ",")
}

func containerPorts(containers []Container, keep func(Container) bool) string {
	out := []string{}
	for _, c := range containers {
		if !keep(c) {
			continue
		}
		for _, p := range c.Ports {
			if p.Protocol == "UDP" || p.Protocol == "SCTP" {
				continue
			}
			out = append(out, strconv.Itoa(int(p.ContainerPort)))
		}
	}
	return strings.Join(out, ",")
}

// includeInboundPorts lists the TCP container ports of all containers.
func includeInboundPorts(containers []Container) string {
	return containerPorts(containers, func(Container) bool { return true })
}

// applicationPorts lists the TCP container ports of all containers but istio-proxy.
func applicationPorts(containers []Container) string {
	return containerPorts(containers, func(c Container) bool { return c.Name != "istio-proxy" })
}

func identity(s string) string { return s }

// toJSON marshals a string map; nil gives "{}".
func toJSON(m map[string]string) string {
	if m == nil {
		return "{}"
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// fromJSON unmarshals JSON text; invalid text gives the string "{}".
func fromJSON(s string) interface{} {
	var v interface{}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return "{}"
	}
	return v
}

// structToJSON is encoding/json of v; nil gives "{}".
func structToJSON(v interface{}) string {
	if v == nil {
		return "{}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// proxyConfigDefaults holds the values of mesh.DefaultProxyConfig() that cleanProxyConfig
// removes before protoToJSON prints PROXY_CONFIG (protobuf JSON names and encodings).
var proxyConfigDefaults = map[string]string{
	"configPath":               `"./etc/istio/proxy"`,
	"binaryPath":               `"/usr/local/bin/envoy"`,
	"serviceCluster":           `"istio-proxy"`,
	"drainDuration":            `"45s"`,
	"terminationDrainDuration": `"5s"`,
	"discoveryAddress":         `"istiod.istio-system.svc:15012"`,
	"controlPlaneAuthPolicy":   `"MUTUAL_TLS"`,
	"proxyAdminPort":           `15000`,
	"statNameLength":           `189`,
	"statusPort":               `15020`,
}

// proxyConfigPlainFields are the ProxyConfig fields of scalar, enum, list or map type, which
// protobuf JSON leaves out at their zero value; all other fields are messages (wrappers,
// durations, tracing...), printed whenever set, even to 0, false or {}.
var proxyConfigPlainFields = map[string]bool{
	"configPath": true, "binaryPath": true, "serviceCluster": true, "tracingServiceName": true,
	"discoveryAddress": true, "zipkinAddress": true, "statsdUdpAddress": true, "envoyMetricsServiceAddress": true,
	"proxyAdminPort": true, "availabilityZone": true, "controlPlaneAuthPolicy": true, "customConfigFile": true,
	"statNameLength": true, "proxyBootstrapTemplatePath": true, "interceptionMode": true, "statusPort": true,
	"meshId": true, "proxyMetadata": true, "runtimeValues": true, "extraStatTags": true, "caCertificatesPem": true,
}

// proxyConfigFieldOrder is ProxyConfig's declaration order (mesh/v1alpha1/proxy.proto), the order
// protobuf JSON prints fields in.
var proxyConfigFieldOrder = []string{
	"configPath", "binaryPath", "serviceCluster", "tracingServiceName", "drainDuration", "parentShutdownDuration",
	"discoveryAddress", "discoveryRefreshDelay", "zipkinAddress", "statsdUdpAddress", "envoyMetricsServiceAddress",
	"proxyAdminPort", "availabilityZone", "controlPlaneAuthPolicy", "customConfigFile", "statNameLength", "concurrency",
	"proxyBootstrapTemplatePath", "interceptionMode", "tracing", "sds", "envoyAccessLogService", "envoyMetricsService",
	"proxyMetadata", "runtimeValues", "statusPort", "extraStatTags", "gatewayTopology", "terminationDrainDuration",
	"meshId", "readinessProbe", "proxyStatsMatcher", "holdApplicationUntilProxyStarts", "caCertificatesPem", "image",
	"privateKeyProvider", "proxyHeaders",
}

func proxyConfigRank(key string) int {
	for i, k := range proxyConfigFieldOrder {
		if k == key {
			return i
		}
	}
	return len(proxyConfigFieldOrder)
}

// protoToJSON prints a ProxyConfig as compact protobuf JSON after dropping fields equal to
// Istio's proxy defaults and scalar, list or map fields at their zero value (e.g.
// interceptionMode REDIRECT, an empty proxyMetadata); set message fields stay. Fields come in
// ProxyConfig's declaration order.
func protoToJSON(pc *ProxyConfig) string {
	if pc == nil {
		return "{}"
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	n := 0
	members := append(pc.raw[:0:0], pc.raw...)
	sort.SliceStable(members, func(i, j int) bool { return proxyConfigRank(members[i].Key) < proxyConfigRank(members[j].Key) })
	for _, m := range members {
		canon, err := compactJSON(m.Value)
		if err != nil {
			return "{}"
		}
		if def, ok := proxyConfigDefaults[m.Key]; ok {
			if d, _ := compactJSON([]byte(def)); d == canon {
				continue
			}
		}
		if canon == `null` {
			continue
		}
		switch canon {
		case `""`, `0`, `false`, `{}`, `[]`:
			if proxyConfigPlainFields[m.Key] {
				continue
			}
		}
		if m.Key == "interceptionMode" && canon == `"REDIRECT"` {
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		k, _ := json.Marshal(m.Key)
		buf.Write(k)
		buf.WriteByte(':')
		buf.WriteString(canon)
	}
	buf.WriteByte('}')
	return buf.String()
}

// compactJSON re-encodes JSON with map keys sorted (protobuf JSON of a map field is
// key-sorted as well) and no insignificant space.
func compactJSON(b []byte) (string, error) {
	var v interface{}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	out, err := json.Marshal(v)
	return string(out), err
}

// toYaml is sigs.k8s.io/yaml.Marshal: encoding/json first, then go-yaml v2, so keys come
// out sorted and JSON tags name the fields.
func toYaml(v interface{}) string {
	j, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var obj interface{}
	if err := yaml.Unmarshal(j, &obj); err != nil {
		return ""
	}
	y, err := yaml.Marshal(obj)
	if err != nil {
		return ""
	}
	return string(y)
}

// indent pads every line but the first with spaces (Istio's, not sprig's, indent).
func indent(spaces int, source string) string {
	lines := strings.Split(source, "\n")
	for i := range lines {
		if i > 0 {
			lines[i] = strings.Repeat(" ", spaces) + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// directory returns the directory part of a slash path, trailing slash kept.
func directory(p string) string {
	dir, _ := path.Split(p)
	return dir
}

// flippedContains is strings.Contains(haystack, needle) called as contains needle haystack.
func flippedContains(needle, haystack string) bool { return strings.Contains(haystack, needle) }

// env reads an istiod environment variable, def when unset or empty.
func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// formatDuration prints a protobuf Duration given as its JSON string ("45s").
func formatDuration(in interface{}) string {
	d, err := time.ParseDuration(fmt.Sprint(in))
	if err != nil {
		return fmt.Sprint(in)
	}
	return d.String()
}

// appendMultusNetwork adds network ("name" or "namespace/name") to a k8s.v1.cni.cncf.io/networks
// value (comma list or JSON list) unless it is already there; in the JSON form an entry matches by
// name and namespace (absent meaning ""), and a namespaced network is added with both members.
func appendMultusNetwork(existing, network string) string {
	if existing == "" {
		return network
	}
	if i := strings.LastIndex(existing, "]"); i != -1 {
		var nets []map[string]interface{}
		if err := json.Unmarshal([]byte(existing), &nets); err != nil {
			return existing
		}
		ns, name := "", network
		if parts := strings.Split(network, "/"); len(parts) >= 2 {
			ns, name = parts[0], parts[1]
		}
		for _, n := range nets {
			if n["name"] == name {
				have := n["namespace"]
				if have == nil {
					have = ""
				}
				if have == ns {
					return existing
				}
			}
		}
		if ns == "" {
			return existing[:i] + fmt.Sprintf(`, {"name": "%s"}`, name) + existing[i:]
		}
		return existing[:i] + fmt.Sprintf(`, {"name": "%s", "namespace": "%s"}`, name, ns) + existing[i:]
	}
	for _, n := range strings.Split(existing, ",") {
		if strings.TrimSpace(n) == network {
			return existing
		}
	}
	return existing + ", " + network
}

// ---------------------------------------------------------------------------------------

type request struct {
	Template string          `json:"template"`
	Data     json.RawMessage `json:"data"`
	Output   string          `json:"output"`
	// Kind is "gateway" for the gateway deployment templates' data (gateway.go); else SidecarTemplateData.
	Kind string `json:"kind"`
}

func decodeData(raw json.RawMessage) (*TemplateData, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil, fmt.Errorf("data: %v", err)
	}
	known := map[string]bool{}
	t := reflect.TypeOf(TemplateData{})
	for i := 0; i < t.NumField(); i++ {
		known[t.Field(i).Name] = true
	}
	var unknown []string
	for k := range keys {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("data: unknown SidecarTemplateData field(s) %s", strings.Join(unknown, ", "))
	}
	var d TemplateData
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("data: %v", err)
	}
	return &d, nil
}

// jsonable turns go-yaml v2 output (map[interface{}]interface{}) into JSON-encodable values,
// as sigs.k8s.io/yaml.YAMLToJSON does.
func jsonable(v interface{}) interface{} {
	switch t := v.(type) {
	case map[interface{}]interface{}:
		out := make(map[string]interface{}, len(t))
		for k, val := range t {
			out[fmt.Sprint(k)] = jsonable(val)
		}
		return out
	case []interface{}:
		for i := range t {
			t[i] = jsonable(t[i])
		}
		return t
	default:
		return v
	}
}

func run(in io.Reader, out io.Writer) error {
	body, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		return fmt.Errorf("request: %v", err)
	}
	var data interface{}
	if req.Kind == "gateway" {
		data, err = decodeGatewayData(req.Data)
	} else {
		data, err = decodeData(req.Data)
	}
	if err != nil {
		return err
	}
	tmpl, err := template.New("inject").Funcs(sprig.TxtFuncMap()).Funcs(istioFuncs()).Parse(req.Template)
	if err != nil {
		return fmt.Errorf("parse: %v", err)
	}
	var rendered bytes.Buffer
	if err := tmpl.Execute(&rendered, data); err != nil {
		return fmt.Errorf("execute: %v", err)
	}
	var parsed interface{}
	if err := yaml.Unmarshal(rendered.Bytes(), &parsed); err != nil {
		return fmt.Errorf("rendered template is not valid YAML: %v\n%s", err, rendered.String())
	}
	switch req.Output {
	case "", "raw":
		_, err = out.Write(rendered.Bytes())
		return err
	case "json":
		j, err := json.Marshal(jsonable(parsed))
		if err != nil {
			return err
		}
		_, err = out.Write(append(j, '\n'))
		return err
	default:
		return fmt.Errorf("request: unknown output %q (raw or json)", req.Output)
	}
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
