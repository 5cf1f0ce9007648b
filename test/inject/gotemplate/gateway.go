package main

// The gateway side of the harness: the data istiod's Gateway API deployment controller executes
// the kube-gateway, waypoint and agentgateway templates over (gatewaycommon.derivedInput at Istio
// 1.30.3), and the injection helpers those templates use beyond the sidecar's. The embedding is
// the point: derivedInput embeds TemplateInput, which embeds *Gateway, which embeds TypeMeta and
// ObjectMeta, so `.Name` in a template is the Gateway's name, found two levels down.
//
// Request: {"kind": "gateway", "template": ..., "data": {...}} where data has the Go field names
// of TemplateInput and derivedInput side by side (Gateway as Kubernetes JSON, Ports as
// corev1.ServicePort JSON, ProxyConfig and MeshConfig as protobuf JSON, Values as the injector
// values map).

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// GatewayAddress mirrors gateway.GatewaySpecAddress.
type GatewayAddress struct {
	Type  *string `json:"type,omitempty"`
	Value string  `json:"value"`
}

// Listener mirrors the gateway.Listener fields the controller reads.
type Listener struct {
	Name     string  `json:"name"`
	Hostname *string `json:"hostname,omitempty"`
	Port     int32   `json:"port"`
	Protocol string  `json:"protocol"`
}

// ParametersReference mirrors gateway.LocalParametersReference.
type ParametersReference struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
}

// GatewayInfrastructure mirrors gateway.GatewayInfrastructure.
type GatewayInfrastructure struct {
	Labels        map[string]string    `json:"labels,omitempty"`
	Annotations   map[string]string    `json:"annotations,omitempty"`
	ParametersRef *ParametersReference `json:"parametersRef,omitempty"`
}

// GatewaySpec mirrors gateway.GatewaySpec.
type GatewaySpec struct {
	GatewayClassName string                 `json:"gatewayClassName"`
	Listeners        []Listener             `json:"listeners"`
	Addresses        []GatewayAddress       `json:"addresses,omitempty"`
	Infrastructure   *GatewayInfrastructure `json:"infrastructure,omitempty"`
}

// Gateway mirrors gateway.Gateway.
type Gateway struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       GatewaySpec `json:"spec"`
}

// ServicePort mirrors the corev1.ServicePort fields the controller sets.
type ServicePort struct {
	Name        string  `json:"name,omitempty"`
	Protocol    string  `json:"protocol,omitempty"`
	AppProtocol *string `json:"appProtocol,omitempty"`
	Port        int32   `json:"port"`
	NodePort    int32   `json:"nodePort,omitempty"`
}

// TemplateInput mirrors gatewaycommon.TemplateInput.
type TemplateInput struct {
	*Gateway
	GatewayClass              string
	DeploymentName            string
	ServiceAccount            string
	Ports                     []ServicePort
	ServiceType               string
	ClusterID                 string
	KubeVersion               int
	Revision                  string
	NativeSidecars            bool
	ProxyUID                  int64
	ProxyGID                  int64
	CompliancePolicy          string
	InfrastructureLabels      map[string]string
	InfrastructureAnnotations map[string]string
	GatewayNameLabel          string
	IsEastWestGateway         bool
	ControllerLabel           string
}

// derivedInput mirrors gatewaycommon.derivedInput.
type derivedInput struct {
	TemplateInput
	ProxyImage        string
	AgentgatewayImage string
	ProxyConfig       *ProxyConfig
	MeshConfig        *MeshConfig
	Values            map[string]interface{}
}

// gatewayDataJSON is the request form: every field by its Go name, nothing embedded.
type gatewayDataJSON struct {
	Gateway                   *Gateway
	GatewayClass              string
	DeploymentName            string
	ServiceAccount            string
	Ports                     []ServicePort
	ServiceType               string
	ClusterID                 string
	KubeVersion               int
	Revision                  string
	NativeSidecars            bool
	ProxyUID                  int64
	ProxyGID                  int64
	CompliancePolicy          string
	InfrastructureLabels      map[string]string
	InfrastructureAnnotations map[string]string
	GatewayNameLabel          string
	IsEastWestGateway         bool
	ControllerLabel           string
	ProxyImage                string
	AgentgatewayImage         string
	ProxyConfig               *ProxyConfig
	MeshConfig                *MeshConfig
	Values                    map[string]interface{}
}

func decodeGatewayData(raw json.RawMessage) (derivedInput, error) {
	// Unknown top-level keys are refused; below them, encoding/json's usual leniency applies.
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return derivedInput{}, fmt.Errorf("gateway data: %v", err)
	}
	known := map[string]bool{}
	t := reflect.TypeOf(gatewayDataJSON{})
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
		return derivedInput{}, fmt.Errorf("gateway data: unknown field(s) %s", strings.Join(unknown, ", "))
	}
	var d gatewayDataJSON
	if err := json.Unmarshal(raw, &d); err != nil {
		return derivedInput{}, fmt.Errorf("gateway data: %v", err)
	}
	return derivedInput{
		TemplateInput: TemplateInput{
			Gateway: d.Gateway, GatewayClass: d.GatewayClass, DeploymentName: d.DeploymentName, ServiceAccount: d.ServiceAccount,
			Ports: d.Ports, ServiceType: d.ServiceType, ClusterID: d.ClusterID, KubeVersion: d.KubeVersion, Revision: d.Revision,
			NativeSidecars: d.NativeSidecars, ProxyUID: d.ProxyUID, ProxyGID: d.ProxyGID, CompliancePolicy: d.CompliancePolicy,
			InfrastructureLabels: d.InfrastructureLabels, InfrastructureAnnotations: d.InfrastructureAnnotations,
			GatewayNameLabel: d.GatewayNameLabel, IsEastWestGateway: d.IsEastWestGateway, ControllerLabel: d.ControllerLabel,
		},
		ProxyImage: d.ProxyImage, AgentgatewayImage: d.AgentgatewayImage, ProxyConfig: d.ProxyConfig, MeshConfig: d.MeshConfig, Values: d.Values,
	}, nil
}

// Istio's label and annotation helpers (pkg/kube/inject/template.go), re-implemented from their behaviour.

func omit(m map[string]string, keys ...string) map[string]string {
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	out := map[string]string{}
	for k, v := range m {
		if !drop[k] {
			out[k] = v
		}
	}
	return out
}

func strdict(pairs ...string) map[string]string {
	out := map[string]string{}
	for i := 0; i < len(pairs); i += 2 {
		if i+1 < len(pairs) {
			out[pairs[i]] = pairs[i+1]
		} else {
			out[pairs[i]] = ""
		}
	}
	return out
}

func mergeMaps(maps ...map[string]string) map[string]string {
	if len(maps) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func toJSONMap(maps ...map[string]string) string {
	b, err := json.Marshal(mergeMaps(maps...))
	if err != nil {
		return ""
	}
	return string(b)
}

// omitNil drops nils from map[string]interface{} and []interface{} trees; containers without a
// nil come back unchanged, containers left empty become nil.
func omitNil(v interface{}) interface{} {
	out, _ := stripNil(v)
	return out
}

func stripNil(v interface{}) (interface{}, bool) {
	switch t := v.(type) {
	case nil:
		return nil, true
	case map[string]interface{}:
		changed := false
		keys := make([]string, 0, len(t))
		for k, x := range t {
			keys = append(keys, k)
			if _, c := stripNil(x); c {
				changed = true
			}
		}
		if !changed {
			return t, false
		}
		sort.Strings(keys)
		out := map[string]interface{}{}
		for _, k := range keys {
			if kept := omitNil(t[k]); kept != nil {
				out[k] = kept
			}
		}
		if len(out) == 0 {
			return nil, true
		}
		return out, true
	case []interface{}:
		changed := false
		for _, x := range t {
			if _, c := stripNil(x); c {
				changed = true
			}
		}
		if !changed {
			return t, false
		}
		out := []interface{}{}
		for _, x := range t {
			if kept := omitNil(x); kept != nil {
				out = append(out, kept)
			}
		}
		if len(out) == 0 {
			return nil, true
		}
		return out, true
	default:
		return v, false
	}
}
