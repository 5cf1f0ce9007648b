import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { executeGoTemplate, harnessEnv, hasGo } from './go-template.js';
import { TemplateError, parseTemplate } from '../../src/inject/gotmpl/index.js';
import { ParseError, maxExpressionDepth, parse as parseTrees } from '../../src/inject/gotmpl/parse.js';
import { type SidecarTemplateDataJson, toTemplateData } from '../../src/inject/template-data.js';
import { loadAssets } from '../../src/cli/assets.js';
import { resolveConfiguration } from '../../src/render/config.js';
import { renderManifests } from '../../src/render/render.js';
import { testDeps } from '../helpers.js';
import { defaultProxyConfig as istioProxyDefaults } from '../../src/inject/mesh.js';

/*
 * Differential tests of meshctl's Go text/template engine (src/inject/gotmpl) against real Go
 * text/template + sprig + Istio's helpers (the harness in ./gotemplate): every template below
 * runs through both over the same SidecarTemplateData, and the printed text (or, for failures,
 * the error) must be identical. The harness is built with the machine's Go (1.25 or newer, as
 * istiod 1.30 is), so newer Go's behaviour (range over integers, {{else with}}, \b and \f in
 * JSON, the wording of its errors) is compared like everything else.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

const goMissing = !hasGo();
const skipReason =
  'needs Go 1.25 or newer and the Go module proxy (sprig v3.3.0 comes from test/inject/gotemplate/go.mod); CI has both';
// CI sets MESHCTL_REQUIRE_GO so a missing toolchain fails the run instead of skipping these tests.
if (goMissing && process.env.MESHCTL_REQUIRE_GO) throw new Error(`MESHCTL_REQUIRE_GO is set but the Go harness cannot run: ${skipReason}`);
/** Test title, with the reason appended when the Go harness cannot run here. */
const title = (name: string): string => (goMissing ? `${name} [skipped: ${skipReason}]` : name);

/** The harness declares its structs in package main; meshctl names them as istiod does. */
const harnessTypeNames: [RegExp, string][] = [
  [/\bmain\.TemplateData\b/g, 'inject.SidecarTemplateData'],
  [/\bmain\.TypeMeta\b/g, 'v1.TypeMeta'],
  [/\bmain\.NamespacedName\b/g, 'types.NamespacedName'],
  [/\bmain\.ObjectMeta\b/g, 'v1.ObjectMeta'],
  [/\bmain\.PodSpec\b/g, 'v1.PodSpec'],
  [/\bmain\.ContainerPort\b/g, 'v1.ContainerPort'],
  [/\bmain\.Container\b/g, 'v1.Container'],
  [/\bmain\.InterceptionMode\b/g, 'v1alpha1.ProxyConfig_InboundInterceptionMode'],
  [/\bmain\.BoolValue\b/g, 'wrapperspb.BoolValue'],
  [/\bmain\.Int32Value\b/g, 'wrapperspb.Int32Value'],
  [/\bmain\.ProxyImage\b/g, 'v1beta1.ProxyImage'],
  [/\bmain\.ProxyConfig\b/g, 'v1alpha1.ProxyConfig'],
  [/\bmain\.MeshConfig\b/g, 'v1alpha1.MeshConfig'],
];

function normalizeTypeNames(s: string): string {
  return harnessTypeNames.reduce((acc, [re, name]) => acc.replace(re, name), s);
}

/** A rich SidecarTemplateData: every kind of value a template can meet. */
function tableData(): SidecarTemplateDataJson {
  return {
    TypeMeta: { apiVersion: 'apps/v1', kind: 'Deployment' },
    DeploymentMeta: { Namespace: 'shop', Name: 'cart' },
    ObjectMeta: {
      name: 'cart-pod',
      labels: { app: 'cart', version: 'v1', 'app.kubernetes.io/name': 'cart-name' },
      annotations: {
        'sidecar.istio.io/userVolume': '{"vol-b":{"emptyDir":{}},"vol-a":{"secret":{"secretName":"s"}}}',
        empty: '',
        json: '{"a":[1,2.5,{"b":null}],"n":1e6}',
        'k8s.v1.cni.cncf.io/networks': 'net1, net2',
        'k8s.json/networks': '[{"name": "net1"}]',
      },
    },
    Spec: {
      containers: [
        {
          name: 'app',
          image: 'img:1',
          command: ['run', '--fast'],
          ports: [
            { name: 'http', containerPort: 8080 },
            { containerPort: 53, protocol: 'UDP' },
            { name: 'grpc', containerPort: 9090, hostPort: 9091, protocol: 'TCP', hostIP: '1.2.3.4' },
          ],
        },
        { name: 'istio-proxy', image: 'auto', ports: [{ containerPort: 15090 }] },
        { name: 'side', ports: [{ containerPort: 7000, protocol: 'SCTP' }, { containerPort: 7001 }] },
      ],
      serviceAccountName: 'cart-sa',
    },
    ProxyConfig: {
      configPath: './etc/istio/proxy',
      discoveryAddress: 'istiod-canary.istio-system.svc:15012',
      statusPort: 15020,
      concurrency: 4,
      interceptionMode: 'TPROXY',
      proxyMetadata: { B_KEY: 'two', A_KEY: 'one' },
      holdApplicationUntilProxyStarts: false,
      image: { imageType: 'distroless' },
      tracing: { zipkin: { address: 'zipkin.istio-system:9411' } },
      drainDuration: '30s',
    },
    MeshConfig: { proxyListenPort: 15001, trustDomain: 'example.org', rootNamespace: 'istio-system', enablePrometheusMerge: true },
    Values: {
      global: {
        hub: 'docker.io/istio',
        tag: '1.30.3',
        proxy: { image: 'proxyv2', statusPort: 15020, holdApplicationUntilProxyStarts: false, resources: { requests: { cpu: '100m' } } },
      },
      num: { int: 15001, big: 1000000, bigger: 123456789, huge: 1e21, small: 0.0001, smaller: 0.00001, tiny: 1e-7, neg: -2.5, frac: 0.1, zero: 0, three: 3 },
      list: ['a', 1, true, null, { k: 'v' }, ['x']],
      strs: ['b', 'a', 'c', 'a'],
      emptyList: [],
      emptyMap: {},
      nullv: null,
      str: 'hello world',
      special: 'a<b>&"c"\'\n\tz é ✓ \u2028',
      bools: { t: true, f: false },
      nested: { a: { b: { c: 'deep' } } },
      dur: '90s',
    },
    Revision: 'canary',
    NativeSidecars: true,
    ProxyImage: 'docker.io/istio/proxyv2:1.30.3',
    ProxyUID: 1337,
    ProxyGID: 1338,
    InboundTrafficPolicyMode: 'localhost',
    CompliancePolicy: '',
  };
}

/** One differential case: a template, and optionally its own data or environment. */
interface Case {
  /** The template text. */
  t: string;
  /** Data; the table data when absent. */
  data?: SidecarTemplateDataJson;
  /** Compare only the error text up to the first occurrence of this string (messages that quote JS/Go internals). */
  errorUpTo?: string;
}

const cases: (string | Case)[] = [
  // Text, comments and trimming.
  'plain text only',
  'a{{/* comment */}}b',
  'a  {{- /* comment */ -}}  b',
  'x {{- 1 -}} y',
  '{{- "a" }}\n\n{{- "b" -}}\n  c',
  '{{ "a" -}}\n\n  b\n{{ "c" }}',
  '{{-3}} {{- -3}}',
  '\t\n{{- .Revision -}}\r\n\t',
  '{{/* multi\nline */}}x',
  // Constants.
  '{{ 1 }} {{ -1 }} {{ 1.5 }} {{ 1e3 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {{ 017 }}',
  "{{ 'a' }} {{ '\\n' }} {{ \"s\\tq\\\"\" }} {{ `raw\\n` }} {{ true }} {{ false }}",
  '{{ .5 }} {{ 1e21 }} {{ 100000000.0 }} {{ 0.000001 }} {{ 1e-7 }} {{ 0x1p4 }} {{ 2.50 }}',
  '{{ printf "%T %T %T %T %T" 1 1.0 "s" true \'c\' }}',
  // Printing every kind.
  '{{ .ObjectMeta }}',
  '{{ .ObjectMeta.Labels }} {{ .ObjectMeta.Annotations.empty }}|',
  '{{ .Spec.Containers }}',
  '{{ .Spec }}',
  '{{ .Values }}',
  '{{ .Values.num }}',
  '{{ .Values.list }} {{ .Values.emptyList }} {{ .Values.emptyMap }} {{ .Values.nullv }} {{ .Values.missing }}',
  '{{ .Values.num.int }} {{ .Values.num.big }} {{ .Values.num.bigger }} {{ .Values.num.huge }} {{ .Values.num.small }} {{ .Values.num.smaller }} {{ .Values.num.tiny }} {{ .Values.num.neg }} {{ .Values.num.frac }} {{ .Values.num.zero }}',
  '{{ .ProxyUID }} {{ .ProxyGID }} {{ .MeshConfig.ProxyListenPort }} {{ .MeshConfig.ProxyInboundListenPort }} {{ .NativeSidecars }}',
  '{{ .ProxyConfig.Concurrency }} {{ .ProxyConfig.HoldApplicationUntilProxyStarts }} {{ .ProxyConfig.Image }} {{ .MeshConfig.EnablePrometheusMerge }} {{ .MeshConfig.DefaultConfig }}',
  '{{ .DeploymentMeta }} {{ .TypeMeta }} {{ .ProxyConfig.InterceptionMode }} {{ .ProxyConfig.ProxyMetadata }}',
  '{{ .Values.special }}',
  '{{ print .Values.nullv .Values.missing }} {{ print nil }} {{ println 1 "a" 2 }}',
  // Fields, methods, chains.
  '{{ .ProxyConfig.InterceptionMode.String }} {{ .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue }} {{ .MeshConfig.EnablePrometheusMerge.GetValue }}',
  '{{ .ProxyConfig.GetStatusPort }} {{ .ProxyConfig.GetProxyMetadata }} {{ .MeshConfig.GetTrustDomain }} {{ .MeshConfig.GetDefaultConfig }}',
  '{{ .ProxyConfig.Concurrency.GetValue }} {{ .ProxyConfig.Concurrency.Value }} {{ .ProxyConfig.Image.ImageType }}',
  '{{ (index .Values.global "proxy").image }} {{ (.Values.global).hub }} {{ (dict "a" (dict "b" 2)).a.b }}',
  '{{ $g := .Values.global }}{{ $g.proxy.image }} {{ $.Revision }}',
  '{{ .Values.nested.a.b.c }} {{ .Values.nested.a.x.y }} {{ .Values.missing.x.y }}',
  '{{ .ObjectMeta.Annotations.json }}',
  { t: '{{ .ObjectMeta.Annotations.x }}|{{ index .ObjectMeta.Annotations "x" }}|{{ .ObjectMeta.Labels }}', data: { ObjectMeta: {} } },
  { t: '{{ .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue }} {{ .MeshConfig.ProxyListenPort }} {{ .MeshConfig.GetDefaultConfig }}', data: { MeshConfig: {} } },
  // Variables and scoping.
  '{{ $x := 1 }}{{ $x }}{{ $x = 2 }}{{ $x }}',
  '{{ $x := "a" }}{{ if true }}{{ $x := "b" }}{{ $x }}{{ end }}{{ $x }}',
  '{{ $x := "a" }}{{ if true }}{{ $x = "b" }}{{ end }}{{ $x }}',
  '{{ $x := "a" }}{{ range .Values.strs }}{{ $x = . }}{{ end }}{{ $x }}',
  '{{ range .Spec.Containers }}{{ $.Revision }}:{{ .Name }} {{ end }}',
  '{{ with $x := .Values.str }}{{ $x }}{{ end }}',
  '{{ if $v := .Values.str }}{{ $v }}{{ end }}',
  // if / else if / else.
  '{{ if "" }}a{{ else if 0 }}b{{ else if .Values.num.zero }}c{{ else if .ObjectMeta.Annotations.nope }}d{{ else }}e{{ end }}',
  '{{ if .Values.emptyList }}a{{ else if .Values.emptyMap }}b{{ else if .Values.nullv }}c{{ else if false }}d{{ else }}e{{ end }}',
  '{{ if .ObjectMeta }}struct{{ end }} {{ if .ProxyConfig.HoldApplicationUntilProxyStarts }}ptr{{ end }} {{ if .ProxyConfig.Image }}img{{ end }}',
  '{{ if .Values.num.neg }}neg{{ end }} {{ if .Values.list }}list{{ end }} {{ if .ProxyUID }}uid{{ end }}',
  // range.
  '{{ range .Values.list }}[{{ . }}]{{ end }}',
  '{{ range $i, $v := .Values.strs }}{{ $i }}={{ $v }} {{ end }}',
  '{{ range $k, $v := .Values.num }}{{ $k }}={{ $v }} {{ end }}',
  '{{ range $v := .ObjectMeta.Labels }}{{ $v }},{{ end }}',
  '{{ range .Values.emptyList }}x{{ else }}empty{{ end }} {{ range .Values.missing }}x{{ else }}missing{{ end }} {{ range .Values.nullv }}x{{ else }}null{{ end }}',
  '{{ range $x := .Values.emptyList }}{{ else }}{{ $x }}{{ end }}',
  '{{ range .Values.strs }}{{ if eq . "c" }}{{ break }}{{ end }}{{ . }}{{ end }}',
  '{{ range .Values.strs }}{{ if eq . "a" }}{{ continue }}{{ end }}{{ . }}{{ end }}',
  '{{ range $i, $c := .Spec.Containers }}{{ range $c.Ports }}{{ $i }}:{{ .ContainerPort }} {{ end }}{{ end }}',
  '{{ range .Values.list }}{{ kindOf . }} {{ end }}',
  // with.
  '{{ with .Values.missing }}x{{ else }}y{{ end }} {{ with .Values.global.proxy }}{{ .image }}{{ end }}',
  '{{ with .Values.str }}{{ . }}{{ end }} {{ with .Values.num.zero }}z{{ else }}nz{{ end }}',
  // define / template / block.
  '{{ define "x" }}[{{ . }}]{{ end }}{{ template "x" 1 }}{{ template "x" }}{{ template "x" .Revision }}',
  '{{ block "b" .Revision }}default {{ . }}{{ end }}',
  '{{ define "a" }}{{ $x := 1 }}{{ $x }}{{ template "b" . }}{{ end }}{{ define "b" }}<{{ . }}>{{ end }}{{ template "a" "arg" }}',
  '{{ define "r" }}{{ if gt . 0 }}{{ . }} {{ template "r" (sub . 1) }}{{ end }}{{ end }}{{ template "r" 3 }}',
  '{{ $v := "outer" }}{{ define "x" }}{{ . }}{{ end }}{{ template "x" $v }}',
  // Pipelines and parentheses.
  '{{ "a" | printf "%s-%s" "b" }} {{ 1 | eq 1 }} {{ (len "abc") }} {{ .Values.str | upper | trunc 5 }}',
  '{{ .Revision | printf "%s/%s" .ProxyImage }}',
  // Builtins.
  '{{ and 1 0 2 }} {{ and 1 2 3 }} {{ or 0 "" "x" }} {{ or 0 "" }} {{ and }}',
  '{{ or .Values.missing .Values.str }} {{ and .Values.str .Values.missing }} {{ not 0 }} {{ not "x" }} {{ not .Values.missing }}',
  '{{ or 1 (index .Values.missing "x") }}',
  '{{ len "héllo" }} {{ len .Values.strs }} {{ len .Values.num }} {{ len .ObjectMeta.Annotations }} {{ len .Values.emptyList }}',
  '{{ index .Values.strs 1 }} {{ index .Values.nested "a" "b" "c" }} {{ index .ObjectMeta.Labels "nope" }}| {{ index .Values "missing" }} {{ index "abc" 1 }} {{ index .Spec.Containers 0 }}',
  '{{ print 1 2 "a" "b" 3 .Values.num.frac true }}',
  '{{ printf "%s|%d|%v|%q|%t|%f|%x|%X|%5s|%-5s|%05d|%+d|%.2f|%e|%g" "s" 42 1.5 "q\\"" true 3.14159 255 "hi" "r" "l" 7 3 2.675 123456.0 0.00001 }}',
  '{{ printf "%d %s" "x" 5 }} {{ printf "%d" }} {{ printf "%d" 1 2 }} {{ printf "%v %v" .Values.list .ObjectMeta.Labels }}',
  '{{ printf "%v|%s|%d" .Values.nullv .Values.nullv .Values.nullv }} {{ printf "%s" .Values.list }} {{ printf "%q" .Values.strs }}',
  '{{ printf "%v %d %s" .ProxyConfig.InterceptionMode .ProxyConfig.InterceptionMode .ProxyConfig.InterceptionMode }}',
  '{{ printf "%.0f %.0f %.0f %.1f %.2f %.3f %6.2f %.3g %.10g" 0.5 1.5 2.5 0.05 1.005 2.0005 3.14159 0.0001234 0.333333333333 }}',
  '{{ printf "%c %U %o %b %#x %#o %x %x" 65 65 8 5 255 8 "héllo" -255 }}',
  '{{ printf "%*d|%-*d|%.*f|%[2]d %[1]d" 5 1 4 2 2 3.14159 }}',
  '{{ printf "%v %v" .Values.num.huge .Values.num.tiny }} {{ printf "%s %v" .ProxyUID .ProxyUID }}',
  '{{ eq 1 1 }} {{ eq 1 2 3 1 }} {{ eq "a" "b" }} {{ eq .Values.str "hello world" }} {{ eq .Values.num.int 15001.0 }} {{ eq .ProxyUID 1337 }}',
  '{{ eq .Values.missing nil }} {{ eq nil nil }} {{ eq .Values.str nil }} {{ eq .ObjectMeta.Annotations nil }} {{ ne 1 2 }} {{ ne "a" "a" }}',
  '{{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1.5 2.5 }} {{ lt .Values.num.neg 0.0 }} {{ lt .ProxyUID 2000 }} {{ gt .MeshConfig.ProxyListenPort 15000 }}',
  '{{ html "<a href=\\"x\\">&\'</a>" }} {{ js "it\'s <b>\\"x\\" & y=z\\n" }} {{ urlquery "a b&c=d/é" }} {{ html .Values.missing }} {{ html 1 "a" }}',
  // Sprig: strings.
  '{{ trim "  a b \\n" }}|{{ trimAll "$" "$$a$b$$" }}|{{ trimPrefix "ab" "abcab" }}|{{ trimSuffix "ab" "abcab" }}|{{ trunc 3 "abcdef" }}|{{ trunc -2 "abcdef" }}|{{ trunc 10 "ab" }}',
  '{{ upper "héllo" }} {{ lower "HÉLLO" }} {{ title "hello wide_world foo-bar" }} {{ untitle "Hello" }} {{ repeat 3 "ab" }} {{ substr 1 3 "abcdef" }} {{ substr 2 -1 "abcdef" }} {{ substr -1 2 "abcdef" }}',
  '{{ replace "a" "x" "banana" }} {{ nospace " a b\\tc " }} {{ hasPrefix "ba" "banana" }} {{ hasSuffix "na" "banana" }} {{ quote "a\\"b" 1 .Values.missing }} {{ squote "a" 1 }} {{ cat "a" 1 .Values.missing "b" }}',
  '{{ split "," "a,b,c" }} {{ splitList "," "a,b,,c" }} {{ splitn "," 2 "a,b,c" }} {{ join "-" .Values.strs }} {{ join "," .Values.list }} {{ join "," (list 1 2) }} {{ toStrings .Values.list }}',
  '{{ sortAlpha .Values.strs }} {{ nindent 2 "a\\nb" }}|{{ abbrev 5 "hello world" }} {{ plural "one" "many" 2 }} {{ plural "one" "many" 1 }}',
  '{{ toString 1 }} {{ toString .Values.num.frac }} {{ toString nil }} {{ toString .ProxyConfig.InterceptionMode }} {{ toString .Values.list }} {{ toString true }}',
  '{{ b64enc "hello é" }} {{ b64dec "aGVsbG8gw6k=" }} {{ b64dec "!!" }} {{ b32enc "hi" }} {{ b32dec "NBUQ====" }} {{ sha256sum "abc" }} {{ sha1sum "abc" }} {{ adler32sum "abc" }}',
  // Sprig: defaults, conversions, logic.
  '{{ default "d" "" }} {{ default "d" "x" }} {{ default "d" 0 }} {{ default "d" .Values.missing }} {{ default "d" .Values.emptyList }} {{ default "d" .ObjectMeta }} {{ .Values.str | default "d" }} {{ default "d" }}',
  '{{ empty "" }} {{ empty 0 }} {{ empty .Values.num.zero }} {{ empty .ObjectMeta }} {{ empty .Values.emptyMap }} {{ empty .ProxyConfig.Image }} {{ empty false }}',
  '{{ coalesce "" 0 .Values.missing "x" "y" }} {{ coalesce "" 0 }} {{ all 1 "a" true }} {{ all 1 "" }} {{ any 0 "" "x" }} {{ any 0 "" }}',
  '{{ ternary "y" "n" true }} {{ ternary "y" "n" false }} {{ .Values.bools.t | ternary 1 2 }}',
  '{{ int "42" }} {{ int "0x1F" }} {{ int "12.0" }} {{ int "12.5" }} {{ int 3.9 }} {{ int -3.9 }} {{ int .Values.num.int }} {{ int true }} {{ int nil }} {{ int "x" }}',
  '{{ int64 "42" }} {{ float64 "1.5" }} {{ float64 3 }} {{ float64 "x" }} {{ atoi "12" }} {{ atoi "1.5" }} {{ atoi "-7" }} {{ typeOf (int64 1) }} {{ typeOf (float64 1) }}',
  '{{ add 1 2 3 }} {{ add1 5 }} {{ sub 5 7 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ div -7 2 }} {{ mod 7 3 }} {{ mod -7 3 }} {{ max 1 5 3 }} {{ min 4 2 8 }} {{ add .Values.num.int 1 }} {{ add "3" 4 }}',
  '{{ maxf 1.5 2 }} {{ minf 1.5 2 }} {{ floor 1.7 }} {{ ceil 1.2 }} {{ round 3.14159 2 }} {{ round 2.5 0 }} {{ addf 0.1 0.2 }} {{ subf 1 0.9 }} {{ mulf 1.1 3 }} {{ divf 1 3 }} {{ add1f 1.5 }}',
  '{{ until 3 }} {{ until -2 }} {{ untilStep 0 10 3 }} {{ untilStep 5 0 -2 }} {{ seq 3 }} {{ seq 2 5 }} {{ seq 1 2 7 }}',
  '{{ toJson .Values.list }} {{ toJson .Values.special }} {{ toJson .Values.num }} {{ toJson .ObjectMeta }} {{ toJson .Spec.Containers }}',
  '{{ toJson .ProxyConfig }} {{ toJson .MeshConfig }} {{ toJson .ProxyConfig.InterceptionMode }} {{ toJson nil }} {{ toJson .ObjectMeta.Annotations }}',
  '{{ toPrettyJson .Values.global }} {{ toPrettyJson .Values.emptyList }} {{ toRawJson .Values.special }}',
  '{{ $m := fromJson .ObjectMeta.Annotations.json }}{{ $m }} {{ $m.n }} {{ fromJson "bad" }} {{ typeOf (fromJson "1") }}',
  // Sprig: lists.
  '{{ list 1 "a" nil }} {{ list | toJson }} {{ append .Values.strs "z" }} {{ prepend .Values.strs "z" }} {{ first .Values.strs }} {{ last .Values.strs }} {{ rest .Values.strs }} {{ initial .Values.strs }}',
  '{{ first .Values.emptyList }} {{ rest .Values.emptyList | toJson }} {{ initial .Values.emptyList }} {{ last .Values.emptyList }}',
  '{{ reverse .Values.strs }} {{ uniq .Values.strs }} {{ without .Values.strs "a" "c" }} {{ compact (list 1 0 "" "x" nil) }} {{ has "a" .Values.strs }} {{ has "q" .Values.strs }} {{ has 1 nil }}',
  '{{ slice .Values.strs 1 3 }} {{ slice .Values.strs 2 }} {{ slice .Values.strs }} {{ slice .Values.emptyList }} {{ concat .Values.strs (list 1) .Values.emptyList }} {{ concat | toJson }}',
  '{{ chunk 2 .Values.strs }} {{ typeOf (list) }} {{ typeOf .Values.strs }} {{ typeOf (splitList "," "a") }} {{ typeOf .Spec.Containers }}',
  // Sprig: dicts.
  '{{ $d := dict "b" 1 "a" 2 "c" }}{{ $d }} {{ get $d "a" }} {{ get $d "zz" }} {{ hasKey $d "c" }} {{ keys $d | sortAlpha }} {{ values (dict "x" 1) }}',
  '{{ $d := dict "a" 1 }}{{ $_ := set $d "b" 2 }}{{ $d }} {{ unset $d "a" }} {{ $d }}',
  '{{ pick (dict "a" 1 "b" 2 "c" 3) "a" "c" "z" }} {{ omit (dict "a" 1 "b" 2 "c" 3) "a" "z" }} {{ pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3) }}',
  // Istio's helpers for the gateway deployment templates: omit and friends on map[string]string (Istio's omit replaces sprig's).
  '{{ omit .ObjectMeta.Labels "app" "zz" }} {{ omit .ObjectMeta.Labels }} {{ omit (strdict) "a" }} {{ typeOf (omit .ObjectMeta.Labels) }}',
  '{{ strdict "a" "1" "b" }} {{ strdict }} {{ typeOf (strdict "k" "v") }}',
  '{{ strdict "a" 1 }}',
  '{{ toJsonMap .Values.global }}',
  '{{ toJsonMap .ObjectMeta.Labels (strdict "app" "over" "x" "<&>") }} {{ toJsonMap }} {{ toJsonMap (strdict) }}',
  '{{ mergeMaps (strdict "a" "1") (strdict "a" "2" "b" "3") }} {{ mergeMaps | toJson }} {{ typeOf (mergeMaps) }}',
  '{{ omitNil .Values }} {{ omitNil .Values.nullv }} {{ omitNil .Values.emptyMap }} {{ omitNil (dict "a" nil) | toJson }} {{ omitNil (dict "a" (dict "b" nil) "c" (list nil 1 (dict "d" nil))) | toJson }} {{ omitNil .Values.strs }} {{ omitNil 3 }}',
  '{{ merge (dict "a" 1 "n" (dict "x" 1)) (dict "a" 2 "b" 3 "n" (dict "x" 2 "y" 3)) }} {{ mergeOverwrite (dict "a" 1 "n" (dict "x" 1)) (dict "a" 2 "b" 3 "n" (dict "x" 2 "y" 3)) }}',
  '{{ merge (dict "a" "" "b" 0 "l" (list)) (dict "a" "x" "b" 5 "l" (list 1)) }} {{ mergeOverwrite (dict "a" "x" "m" (dict "k" 1)) (dict "a" "" "m" "s") }}',
  '{{ dig "nested" "a" "b" "c" "dflt" .Values }} {{ dig "nested" "zz" "dflt" .Values }} {{ dig "global" "hub" "" .Values }}',
  '{{ $c := deepCopy .Values.global }}{{ $_ := set $c "hub" "changed" }}{{ $c.hub }} {{ .Values.global.hub }} {{ deepEqual (list 1 2) (list 1 2) }} {{ deepEqual (list 1) (list 2) }}',
  '{{ kindOf .Values }} {{ kindOf .Values.strs }} {{ kindOf 1 }} {{ kindOf "s" }} {{ kindOf .ObjectMeta }} {{ kindOf .ProxyConfig }} {{ kindOf nil }} {{ kindOf .ProxyUID }} {{ kindIs "map" .Values }}',
  '{{ typeOf .Values }} {{ typeOf .ObjectMeta }} {{ typeOf .ProxyConfig }} {{ typeOf .ProxyConfig.InterceptionMode }} {{ typeOf nil }} {{ typeIs "string" "s" }} {{ typeIsLike "string" "s" }} {{ typeIsLike "int" "s" }}',
  // Sprig: regex, paths, env.
  '{{ regexMatch "^[a-z]+$" "abc" }} {{ regexMatch "^[a-z]+$" "ab1" }} {{ regexMatch "(" "x" }} {{ regexFind "[0-9]+" "ab12cd34" }} {{ regexFindAll "[0-9]+" "ab12cd34ef5" -1 }} {{ regexFindAll "[0-9]+" "ab12cd34ef5" 2 }}',
  '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }} {{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$1W" }} {{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "$1" }} {{ regexReplaceAll "a*" "baaac" "-" }}',
  '{{ regexSplit "z+" "pizza" -1 }} {{ regexSplit "" "abc" -1 }} {{ regexSplit "," "a,b,c" 2 }} {{ regexQuoteMeta "a.b*c" }} {{ regexReplaceAll "(?P<w>[a-z]+)" "ab cd" "<$w>" }}',
  '{{ base "/a/b/c.txt" }} {{ dir "/a/b/c.txt" }} {{ clean "/a/../b/./c/" }} {{ ext "x.tar.gz" }} {{ isAbs "/x" }} {{ base "" }} {{ dir "x" }}',
  // Istio's env takes a default, replacing sprig's one-argument env.
  '{{ env "GO111MODULE" }}',
  '{{ env "MESHCTL_SURELY_UNSET" "fallback" }}|{{ env "GO111MODULE" "x" }}|{{ env "GOFLAGS" "x" }}',
  '{{ duration 95 }} {{ duration "95" }} {{ duration (int64 3700) }} {{ duration "x" }} {{ hello }}',
  // Istio helpers.
  '{{ formatDuration "90s" }} {{ formatDuration "1h0m30.5s" }} {{ formatDuration "bad" }} {{ formatDuration .Values.dur }} {{ formatDuration "1500ms" }} {{ formatDuration "0" }}',
  '{{ isset .ObjectMeta.Annotations "empty" }} {{ isset .ObjectMeta.Annotations "nope" }} {{ isset .ObjectMeta.Labels "app" }}',
  '{{ excludeInboundPort 15020 "" }}|{{ excludeInboundPort "15020" "1,2" }}|{{ excludeInboundPort 0 "1" }}|{{ excludeInboundPort "2" "1,2" }}|{{ excludeInboundPort " 9 " " 1 , ,2" }}|{{ excludeInboundPort .Values.num.int "x" }}',
  '{{ includeInboundPorts .Spec.Containers }}|{{ applicationPorts .Spec.Containers }}|{{ kubevirtInterfaces "eth0" }}|{{ excludeInterfaces "eth1" }}',
  '{{ annotation .ObjectMeta "empty" "d" }}|{{ annotation .ObjectMeta "nope" "d" }}|{{ annotation .ObjectMeta "nope" .Values.missing }}|{{ annotation .ObjectMeta "nope" .Values.num.int }}',
  '{{ valueOrDefault "" "d" }} {{ valueOrDefault .Values.missing "d" }} {{ valueOrDefault "x" "d" }} {{ valueOrDefault 0 "d" }} {{ valueOrDefault .ObjectMeta.Annotations "d" }}',
  '{{ toJSON .ObjectMeta.Labels }} {{ toJSON .ObjectMeta.Annotations }} {{ toJSON nil }} {{ fromJSON "bad" }} {{ fromJSON .ObjectMeta.Annotations.json }}',
  '{{ structToJSON .ObjectMeta }} {{ structToJSON nil }} {{ structToJSON .Values.list }} {{ range .Spec.Containers }}{{ range .Ports }}{{ structToJSON . }}{{ end }}{{ end }}',
  '{{ protoToJSON .ProxyConfig }} {{ protoToJSON .MeshConfig.DefaultConfig }} {{ protoToJSON nil }}',
  '{{ indent 4 "a\\nb\\nc" }}|{{ "x\\ny" | indent 2 }}|{{ directory "/a/b/c" }}|{{ directory "c" }}|{{ contains "b" "abc" }}|{{ contains "abc" "b" }}|{{ toLower "ÀB" }}',
  '{{ appendMultusNetwork "" "n" }}|{{ appendMultusNetwork (index .ObjectMeta.Annotations "k8s.v1.cni.cncf.io/networks") "default/istio-cni" }}|{{ appendMultusNetwork "net1, n" "n" }}|{{ appendMultusNetwork (index .ObjectMeta.Annotations "k8s.json/networks") "x" }}|{{ appendMultusNetwork "[bad]" "x" }}',
  // JSON form: entries match by name and namespace (absent = ""); a namespaced network is added with both.
  '{{ appendMultusNetwork (index .ObjectMeta.Annotations "k8s.json/networks") "default/istio-cni" }}|{{ appendMultusNetwork `[{"name": "istio-cni", "namespace": "default"}]` "default/istio-cni" }}|{{ appendMultusNetwork `[{"name": "istio-cni"}]` "default/istio-cni" }}|{{ appendMultusNetwork `[{"name": "n", "namespace": "a"}]` "n" }}|{{ appendMultusNetwork `[null, {"name": "n"}]` "a/n/x" }}|{{ appendMultusNetwork `[1]` "n" }}',
  '{{ range $k, $v := fromJSON (index .ObjectMeta.Annotations "sidecar.istio.io/userVolume") }}{{ merge (dict "name" $k) $v | toJson }};{{ end }}',
  '{{ toYaml .Values.global }}',
  '{{ toYaml .Values }}',
  '{{ toYaml .ObjectMeta }}{{ toYaml .Spec }}{{ toYaml .Values.emptyMap }}{{ toYaml .Values.emptyList }}{{ toYaml "s" }}{{ toYaml 1 }}{{ toYaml nil }}',
  '{{ toYaml (dict "k10" 1 "k9" 2 "K" 3 "a b" "x: y" "t" "true" "n" "12" "e" "" "ml" "a\\nb\\n" "sp" " lead" "long" "word word word word word word word word word word word word word word word word word word word") }}',
  '{{ toYaml (list (dict "a" 1 "b" (list 1 (list 2 3))) "- x" "#c" "a #b" "1:20" "0x1F" "1e3" "~" "yes" "Off" "2001-12-14" "tab\\there") }}',
  // More probes: printing pointers and structs through fmt, map key order, numbers, escapes.
  '{{ printf "%v %+v %s" .ProxyConfig.Image .TypeMeta .ProxyConfig.Image }} {{ print .ProxyConfig.Image }} {{ .Spec.Containers | printf "%+v" }}',
  '{{ dict "b" 1 "B" 2 "é" 3 "a" 4 "_" 5 "10" 6 "9" 7 }} {{ dict 1 "a" true "b" }}',
  '{{ 1.0 }} {{ -0.0 }} {{ 0x1.8p1 }} {{ \'\\x41\' }} {{ printf "%c" \'é\' }} {{ "\\u00e9\\x41\\101" }} {{ `a\\b\nc` }}',
  '{{ 0 | or 1 }} {{ "" | and 1 }} {{ 0 | not }} {{ 3 | add 1 }} {{ .Values.num.int | int }} {{ "a" | list "b" }}',
  '{{ index .Values.strs (int64 1) }} {{ eq .TypeMeta .TypeMeta }} {{ eq .ProxyConfig .ProxyConfig }} {{ eq .ProxyConfig .MeshConfig.DefaultConfig }}',
  '{{ toString 1.5 }} {{ toString .ProxyUID }} {{ quote 1.5 .Values.list }} {{ join "," "abc" }} {{ join "," nil }}',
  '{{ with $x := 0 }}{{ else }}{{ $x }}{{ end }} {{ range $k, $v := .Values.bools }}{{ $k }}{{ if $v }}+{{ end }}{{ end }}',
  'é {{ .Values.str }} ✓ {{ .Values.nested.a }}',
  '{{ toYaml (dict "yes" 1 "1" "one" "tab" "a\\tb" "emoji" "🙂" "q" "it\'s" "colon" "a: b" "lead" "-x" "dash" "- y" "bools" (list true false) "f" 1.5 "big" .Values.num.huge "i" .Values.num.int "nul" nil) }}',
  '{{ toYaml (dict "m" (dict "l" (list (dict "a" (list 1 2)) (list) (dict))) "s" "x y  z" "trail" "t " "nl" "a\\n" "nl2" "a\\n\\n" "lead" "\\nx") }}',
  '{{ toYaml (dict "long" "aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee ffffffffff gggggggggg hhhhhhhhhh iiiiiiiiii \\"q\\" jjjj" "long2" "xxxxxxxxxx xxxxxxxxxx xxxxxxxxxx xxxxxxxxxx xxxxxxxxxx xxxxxxxxxx xxxxxxxxxx xxxxxxxxxx: yyyyy zzzzzz") }}',
  '{{ toYaml .Spec.Containers }}{{ toYaml (list (list 1 (list 2)) "x") }}',
  '{{ regexFindAll "(?i)AB" "ab Ab aB" -1 }} {{ regexMatch "^\\\\d+\\\\s\\\\w$" "12 x" }} {{ regexReplaceAll "\\\\." "a.b.c" "-" }} {{ regexMatch "[[:alpha:]]+" "abc" }} {{ regexFind "a.c" "a\\nc abc" }}',
  '{{ printf "%5.1f|%-8.3s|%8q|%x|% x|%#x|%08.3f|%+.1e" 3.14159 "abcdef" "x" "hi" "hi" "hi" -3.14159 12345.678 }}',
  '{{ printf "%d %d %s %v" .ProxyUID .MeshConfig.ProxyListenPort .ObjectMeta.Labels .Spec.Containers }}',
  '{{ printf "%s %d %v" nil nil nil }} {{ printf "%!" }} {{ printf "%z" 1 }} {{ printf "100%%" }} {{ printf "%" }}',
  '{{ merge (dict) (dict "a" (list 1)) (dict "a" (list 2) "b" (dict "c" 1)) }} {{ merge (dict "a" (dict)) (dict "a" (dict "x" 1)) }} {{ mergeOverwrite (dict "l" (list 1)) (dict "l" (list)) }}',
  '{{ $d := dict "a" (dict "b" 1) }}{{ $_ := merge $d (dict "a" (dict "c" 2)) }}{{ $d }}',
  '{{ uniq (list 1 "1" 1 (list 1) (list 1)) }} {{ without (list 1 2 1) 1 }} {{ has (list 1) (list (list 1)) }} {{ compact (list .Values.emptyMap .Values.nullv .ObjectMeta) }}',
  '{{ sub 1 .Values.num.frac }} {{ add 1.9 1.9 }} {{ mul "3" "4" }} {{ div 10 "3" }} {{ int "1_000" }} {{ int "010" }} {{ int "0b11" }} {{ int64 .Values.num.neg }} {{ float64 "1e3" }} {{ float64 .ProxyUID }}',
  '{{ trunc 2 "é✓x" }}|{{ substr 0 2 "é✓" }}|{{ upper "ß" }}|{{ title "élan vital" }}|{{ nospace "a\\u00a0b" }}|{{ trim "\\u00a0x\\u0085" }}',
  '{{ splitList "" "aé" }} {{ split "" "ab" }} {{ replace "" "-" "ab" }} {{ cat }} {{ quote }} {{ len (list) }}',
  '{{ formatDuration "1h" }} {{ formatDuration "-1.5h" }} {{ formatDuration "100us" }} {{ formatDuration "1µs" }} {{ formatDuration "999ns" }} {{ formatDuration 5 }} {{ formatDuration ".5s" }} {{ formatDuration "1.s" }} {{ formatDuration "1h2m3s4ms5us6ns" }}',
  '{{ html "\\u0000x" }} {{ js "é\\u2028\\u00a0<" }} {{ urlquery "~!*()\' " }}',
  '{{ .Values.global | toJson }} {{ toPrettyJson (dict "a" (list) "b" (dict) "c" (list 1 (dict "d" nil))) }}',
  '{{ structToJSON .Spec }} {{ structToJSON .ProxyConfig.Concurrency }} {{ structToJSON .MeshConfig }} {{ structToJSON .DeploymentMeta }}',
  '{{- /* a */ -}}\n  {{- /* b */}}  x  {{/* c */ -}}  y',
  // Upstream-style template idioms: toYaml | indent inside YAML, ranges over decoded annotations.
  'resources:\n  {{ toYaml .Values.global.proxy.resources | indent 2 }}\nvolumes:\n{{- range $k, $v := fromJSON (index .ObjectMeta.Annotations "sidecar.istio.io/userVolume") }}\n- name: "{{ $k }}"\n  {{ toYaml $v | indent 2 }}\n{{- end }}',
  '{{ if .ObjectMeta.Annotations }}meta: {{ toJSON .ObjectMeta.Annotations }}{{ end }}\nports: |-\n  [\n  {{- $first := true }}\n  {{- range $i, $c := .Spec.Containers }}{{ range $j, $p := $c.Ports }}\n    {{ if not $first }},{{ end }}{{ structToJSON $p }}{{ $first = false }}{{ end }}{{ end }}\n  ]',
  'cfg: |\n       {{ protoToJSON .ProxyConfig }}\nid: "{{ or (index .ObjectMeta.Annotations `sidecar.istio.io/interceptionMode`) .ProxyConfig.InterceptionMode.String }}"\nsvc: {{ if ne "" (index .ObjectMeta.Labels "app") }}{{ index .ObjectMeta.Labels `app` }}{{ else }}{{ valueOrDefault .DeploymentMeta.Name `istio-proxy` }}{{ end }}',
  'ns: "{{ annotation .ObjectMeta `traffic.sidecar.istio.io/includeInboundPorts` (includeInboundPorts .Spec.Containers) }}" ex: "{{ excludeInboundPort (annotation .ObjectMeta `status.sidecar.istio.io/port` .Values.global.proxy.statusPort) (annotation .ObjectMeta `traffic.sidecar.istio.io/excludeInboundPorts` .Values.global.proxy.excludeInboundPorts) }}"',
  '{{ if eq .Values.global.proxy.enableCoreDump true }}core{{ end }}{{ if .Values.istio_cni.enabled }}cni{{ end }} ro: {{ not .Values.global.proxy.enableCoreDump }}',
  '{{ define "only" }}x{{ end }}',
  '{{ protoToJSON (deepCopy .ProxyConfig) }} {{ (deepCopy .ProxyConfig).StatusPort }} {{ toJson (deepCopy .ObjectMeta) }}',
  '{{ $p := .Spec.Containers }}{{ $q := deepCopy $p }}{{ eq (len $p) (len $q) }} {{ typeOf $q }}',
  '{{ float64 "NaN" }} {{ float64 "inf" }} {{ float64 "-Inf" }} {{ float64 "-0" }} {{ toJson (float64 "inf") }}| {{ toYaml (float64 "NaN") }} {{ printf "%5.1f|%v" (float64 "inf") (float64 "-0") }}',
  // Parse errors.
  '{{ .Revision',
  '{{ if true }}x',
  '{{ end }}',
  '{{ else }}',
  '{{ nosuchfunc 1 }}',
  '{{ $undefined }}',
  '{{ if }}x{{ end }}',
  '{{ 1 | 2 }}',
  '{{ 3x }}',
  '{{ "unterminated }}',
  '{{ ( 1 }}',
  '{{ ) }}',
  '{{ break }}',
  '{{ range .Values.strs }}{{ else }}{{ break }}{{ end }}',
  '{{ define "x" }}a{{ end }}{{ define "x" }}b{{ end }}',
  '{{ template x }}',
  '{{ .Revision.x.y | }}',
  '{{ "a".x }}',
  '{{ $x, $y := 1 }}',
  '{{ range $a, $b, $c := .Values.strs }}{{ end }}',
  '{{/* unclosed',
  'line1\nline2 {{ if true }}\n{{ nosuch }}{{ end }}',
  '{{ 99999999999999999999 }}',
  '{{ with .Values.str }}{{ else if true }}x{{ end }}',
  '{{- -}}',
  '{{ 1e400 }}',
  '{{ "\\q" }}',
  "{{ 'ab' }}",
  'é {{ .Nope }}',
  '{{ if .Values.str }}\n  {{ .Values.str.x }}{{ end }}',
  'a{{ define "inject" }}b{{ end }}',
  '{{ define "inject" }}b{{ end }}  ',
  // Execution errors.
  '{{ .Nope }}',
  '{{ .ObjectMeta.Nope }}',
  '{{ .Values.str.foo }}',
  '{{ .Values.nullv.foo }}',
  '{{ $s := .Values.str }}{{ $s.foo }}',
  '{{ range .Values.list }}{{ .foo }}{{ end }}',
  '{{ .ProxyConfig.raw }}',
  { t: '{{ .ProxyConfig.InterceptionMode }}', data: {} },
  { t: '{{ .MeshConfig.DefaultConfig.StatusPort }}', data: { MeshConfig: {} } },
  // Istio 1.30.3's otelResourceAttributes: only with an OpenTelemetry provider asking for semantic conventions.
  {
    t: '{{ otelResourceAttributes .MeshConfig .ObjectMeta.Annotations .ObjectMeta.Labels .DeploymentMeta.Namespace .Spec.Containers }}|{{ otelResourceAttributes .MeshConfig nil nil "ns" nil }}',
    data: {
      ...tableData(),
      MeshConfig: { extensionProviders: [{ name: 'z', zipkin: { service: 'z' } }, { name: 'otel', opentelemetry: { service: 'c', port: 4317, serviceAttributeEnrichment: 'OTEL_SEMANTIC_CONVENTIONS' } }] },
    },
  },
  {
    t: '[{{ otelResourceAttributes .MeshConfig .ObjectMeta.Annotations .ObjectMeta.Labels .DeploymentMeta.Namespace .Spec.Containers }}]',
    data: { ...tableData(), MeshConfig: { extensionProviders: [{ name: 'otel', opentelemetry: { service: 'c', port: 4317 } }] } },
  },
  {
    t: '{{ otelResourceAttributes .MeshConfig .ObjectMeta.Annotations .ObjectMeta.Labels .DeploymentMeta.Namespace .Spec.Containers }}',
    data: {
      DeploymentMeta: { Namespace: 'shop', Name: 'cart' },
      ObjectMeta: { annotations: { 'resource.opentelemetry.io/service.instance.id': 'i-1' } },
      Spec: { containers: [{ name: 'app', image: 'registry:5000/team/app:2.1@sha256:abc' }] },
      MeshConfig: { extensionProviders: [{ name: 'otel', opentelemetry: { serviceAttributeEnrichment: 'OTEL_SEMANTIC_CONVENTIONS' } }] },
    },
  },
  '{{ .ProxyConfig.Nope }}',
  '{{ .Revision 1 }}',
  '{{ .ObjectMeta.Labels.app 1 }}',
  '{{ 1 2 }}',
  '{{ nil }}',
  '{{ trunc "x" "abc" }}',
  '{{ trunc .Values.num.int "abc" }}',
  '{{ trunc 1 .Values.missing }}',
  '{{ trunc 1 .Values.nullv }}',
  '{{ isset .Values "x" }}',
  '{{ isset .Values.missing "x" }}',
  '{{ isset .Values.nullv "x" }}',
  '{{ annotation .Spec "x" "y" }}',
  '{{ protoToJSON .MeshConfig }}',
  '{{ includeInboundPorts .Values.list }}',
  '{{ trunc 1 }}',
  '{{ trunc 1 "a" "b" }}',
  '{{ "x" | trunc 1 "a" }}',
  '{{ ternary 1 2 "x" }}',
  '{{ eq }}',
  '{{ eq 1 "a" }}',
  '{{ eq .ProxyConfig.InterceptionMode "TPROXY" }}',
  '{{ eq 1 1.0 }}',
  '{{ lt 1 "a" }}',
  '{{ lt true false }}',
  '{{ lt .Values.list 1 }}',
  '{{ eq .Values.list .Values.list }}',
  '{{ eq .Values.list .Values.emptyMap }}',
  '{{ index .Values.strs 10 }}',
  '{{ index .Values.strs -1 }}',
  '{{ index .Values.strs "a" }}',
  '{{ index .Values.nullv 1 }}',
  '{{ index .Values.str 0 1 }}',
  '{{ index .Values 1 }}',
  '{{ index 1 1 }}',
  '{{ len 1 }}',
  '{{ len nil }}',
  '{{ call 1 }}',
  '{{ range .Values.str }}{{ end }}',
  '{{ range 1.5 }}{{ end }}',
  '{{ template "nope" }}',
  '{{ fail "custom failure" }}',
  '{{ first .Values.missing }}',
  '{{ first "abc" }}',
  '{{ append 1 2 }}',
  '{{ concat 1 }}',
  '{{ slice "abc" 1 }}',
  '{{ slice .Values.strs 3 1 }}',
  '{{ has 1 "x" }}',
  '{{ div 1 0 }}',
  '{{ mod 1 0 }}',
  '{{ dig "a" .Values }}',
  '{{ dig "str" "x" "d" .Values }}',
  '{{ dig 1 "d" .Values }}',
  '{{ set nil "a" 1 }}',
  '{{ repeat -1 "a" }}',
  '{{ substr 2 1 "abc" }}',
  '{{ regexFind "(" "x" }}',
  '{{ toRawJson .Values.num.huge }}{{ mustToJson (float64 "NaN") }}',
  '{{ $x = 1 }}',
  '{{ .Values.list 1 }}',
  '{{ (1).x }}',
  '{{ (nil).x }}',
  '{{ index .Spec.Containers 0 | printf "%s" .Name }}',
  '{{ .ProxyConfig.InterceptionMode.String 1 }}',
  '{{ .ProxyConfig.InterceptionMode.UnmarshalJSON "x" }}',
  'ok {{ if true }}\n  {{ .Values.missing.x }}\n  {{ printf "%d" .Values.str.x }}{{ end }}',
  '{{ define "t" }}{{ .Nope }}{{ end }}{{ template "t" .Values }}{{ template "t" . }}',
  '{{ define "t" }}{{ template "t" . }}{{ end }}{{ template "t" 1 }}',
  '{{ index .Values.strs 1.5 }}',
  '{{ len .ProxyConfig }}',
  '{{ eq .ObjectMeta .ObjectMeta }}',
  '{{ .ObjectMeta.Labels.app.foo }}',
  '{{ range $i, $e := "abc" }}{{ end }}',
  '{{ lt 1 1.5 }}',
  '{{ printf 1 }}',
  '{{ html }}{{ index }}',
  '{{ template "x" 1 2 }}',
  '{{ with .Values.str }}{{ .x }}{{ end }}',
  // Comparisons name the Go types of mismatched operands; signed and unsigned integers compare by
  // value, and a nil operand is unequal to anything rather than an error.
  '{{ eq .ProxyUID 1.0 }}',
  '{{ eq .Values.num.int 15001 }}',
  '{{ ne .Values.bools.t 1 }}',
  '{{ eq 1 2 .Values.list }}',
  '{{ eq .ObjectMeta 1 }}',
  '{{ eq (index "ab" 0) "a" }}',
  '{{ eq (index "ab" 0) 97 }} {{ eq 97 (index "ab" 0) }} {{ eq -1 (index "ab" 0) }} {{ eq .Values.nullv 1 }} {{ eq 1 .Values.missing }}',
  '{{ lt "a" .ProxyUID }}',
  '{{ le .ProxyConfig.InterceptionMode 1.5 }}',
  '{{ gt 1 .Values.num.frac }}',
  '{{ ge .Values.str .Values.num.int }}',
  '{{ lt (index "ab" 0) 98 }} {{ lt -1 (index "ab" 0) }} {{ le .ProxyConfig.InterceptionMode 1 }}',
  // The first value of a non-comparable pair prints with %s, the second with %v.
  '{{ eq .Values.emptyMap .Values.list }}',
  // call names its callee: the argument's source text, or the pipeline value's reflect.Value.String().
  '{{ call .Values.str }}',
  '{{ call "a" 2 }}',
  '{{ call `raw` }}',
  '{{ call (printf "%d" 1) }}',
  '{{ call $ }}',
  '{{ $f := 1 }}{{ call $f }}',
  '{{ $f := 1 }}{{ call ($f = 2) }}',
  '{{ call .ProxyConfig.InterceptionMode }}',
  '{{ call .Spec.Containers }}',
  '{{ call 1.5 }}',
  "{{ call 'a' }}",
  '{{ 1 | call }}',
  '{{ 1 | call 2 }}',
  '{{ .Values.str | call }}',
  '{{ .Values.num.int | call }}',
  '{{ .ProxyConfig | call }}',
  '{{ .Values.missing | call }}',
  '{{ call .Values.nullv }}',
  // Error contexts print an assignment in a pipeline with "=", a declaration with ":=".
  '{{ $x := 1 }}{{ index ($x = 2) 1 }}',
  '{{ index ($y := 2) 1 }}',
  // An unmatched ")" is a lexical error, wherever it stands.
  '{{ 1 ) }}',
  '{{ (1)) }}',
  '{{ if ) }}x{{ end }}',
  'a\n{{ (1) }}\n{{ print\n) }}',
  // Parenthesized pipelines nest at most 10000 deep (Go 1.25); the error names the line of the
  // parenthesis that goes past the bound.
  `{{ ${'('.repeat(10001)}1${')'.repeat(10001)} }}`,
  `a\n{{ ${'(\n'.repeat(10001)}nosuch${')'.repeat(10001)} }}`,
  // Newer Go: range over integers (signed, unsigned and named), {{else with}}, JSON's short escapes.
  '{{ range 3 }}{{ . }},{{ end }}|{{ range $i := 2 }}{{ $i }}{{ end }}|{{ range 0 }}x{{ else }}none{{ end }}|{{ range -2 }}x{{ else }}neg{{ end }}',
  '{{ range $i, $v := 3 }}{{ end }}',
  '{{ range .ProxyConfig.InterceptionMode }}{{ . }},{{ end }}|{{ range index "ab" 0 | int | mod 4 }}{{ . }}{{ end }}|{{ range .ProxyUID | int64 | mod 3 }}{{ . }}{{ end }}',
  '{{ range 3 }}{{ if eq . 1 }}{{ continue }}{{ end }}{{ if eq . 2 }}{{ break }}{{ end }}{{ . }}{{ end }}',
  '{{ $n := 0 }}{{ range $n = 2 }}{{ $n }}{{ end }}|{{ $n }}',
  '{{ range .Values.num.three }}{{ end }}',
  '{{ with .Values.missing }}a{{ else with .Values.str }}{{ . }}{{ else }}c{{ end }}',
  '{{ with "" }}a{{ else with 0 }}b{{ else }}c{{ end }}',
  '{{ if false }}{{ else with 1 }}{{ end }}',
  '{{ toJson "a\\bb\\fc\\u0001" }} {{ toPrettyJson (dict "k" "\\b") }}',
];

/** Go's output or error, with the harness's names normalized to istiod's. */
type Outcome = { out: string } | { err: string };

/** Marks the end of every template so trailing white space survives the harness's error path. */
const sentinel = '\n#end';

async function runGo(template: string, data: SidecarTemplateDataJson): Promise<Outcome> {
  try {
    return { out: normalizeTypeNames(await executeGoTemplate(template, data)) };
  } catch (err) {
    const msg = (err as Error).message;
    const invalidYaml = 'go template: rendered template is not valid YAML: ';
    // The harness insists on YAML output; when a case prints something else, its text follows the YAML error.
    if (msg.startsWith(invalidYaml)) return { out: normalizeTypeNames(`${msg.slice(msg.indexOf('\n') + 1)}`) };
    return { err: normalizeTypeNames(msg.replace(/^go template: (parse|execute): /, '')) };
  }
}

function runTs(template: string, data: SidecarTemplateDataJson, env: Record<string, string>): Outcome {
  try {
    return { out: parseTemplate(template).execute(toTemplateData(data), { env }) };
  } catch (err) {
    if (err instanceof TemplateError) return { err: err.message };
    throw err;
  }
}

/** Runs async jobs with bounded concurrency. */
async function pool<T, R>(items: readonly T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await job(items[i]!);
      }
    }),
  );
  return results;
}

const normalized: Required<Omit<Case, 'errorUpTo'>>[] = cases.map((c) => {
  const k = typeof c === 'string' ? { t: c } : c;
  return { t: k.t + sentinel, data: k.data ?? tableData() };
});

describe('Go text/template engine: differential against Go text/template + sprig + Istio helpers', () => {
  let goResults: Outcome[] = [];
  beforeAll(async () => {
    if (goMissing) return;
    goResults = await pool(normalized, 8, (c) => runGo(c.t, c.data));
  }, 120_000);

  // The environment the harness adds to the test process's; these variables are what the env cases read.
  const env = { ...harnessEnv };

  normalized.forEach((c, i) => {
    it.skipIf(goMissing)(title(`case ${i + 1}: ${JSON.stringify(c.t.slice(0, -sentinel.length)).slice(0, 100)}`), () => {
      const go = goResults[i]!;
      const ts = runTs(c.t, c.data, env);
      expect(ts).toEqual(go);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The shipped injection templates, byte for byte, over the data istiod builds.

// The values come from the istio-sidecar-injector ConfigMap `manifest generate` renders for the
// default profile, as in template.test.ts: exactly what istiod would hold.
const defaultValues = await (async () => {
  const assets = await loadAssets(testDeps().deps);
  const objects = renderManifests(resolveConfiguration(assets, {}), assets).objects.map((o) => o.object);
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'istio-sidecar-injector') as unknown as { data: { values: string } };
  return JSON.parse(cm.data.values) as Record<string, unknown>;
})();
const sidecarTemplate = readFileSync(join(root, 'manifests/injection/sidecar.tmpl'), 'utf8');
const gatewayTemplate = readFileSync(join(root, 'manifests/injection/gateway.tmpl'), 'utf8');

/** mesh.DefaultProxyConfig() plus the chart's discoveryAddress, in protobuf JSON: what istiod passes as .ProxyConfig by default. */
const defaultProxyConfig = istioProxyDefaults();

type Values = Record<string, unknown> & { global: Record<string, unknown> & { proxy: Record<string, unknown> }; pilot: Record<string, unknown> };
type Data = SidecarTemplateDataJson & {
  ObjectMeta: { labels?: Record<string, string>; annotations?: Record<string, string> };
  ProxyConfig: Record<string, unknown>;
  Values: Values;
};

/** SidecarTemplateData istiod builds for upstream's hello.yaml Deployment (as template.test.ts). */
function helloData(): Data {
  return {
    TypeMeta: { apiVersion: 'apps/v1', kind: 'Deployment' },
    DeploymentMeta: { Namespace: '', Name: 'hello' },
    ObjectMeta: { labels: { app: 'hello', tier: 'backend', track: 'stable' } },
    Spec: {
      containers: [{ name: 'hello', image: 'fake.docker.io/google-samples/hello-go-gke:1.0', ports: [{ name: 'http', containerPort: 80 }] }],
    },
    ProxyConfig: structuredClone(defaultProxyConfig),
    MeshConfig: {
      proxyListenPort: 15001,
      proxyInboundListenPort: 15006,
      trustDomain: 'cluster.local',
      rootNamespace: 'istio-system',
      enablePrometheusMerge: true,
      defaultConfig: structuredClone(defaultProxyConfig),
    },
    Values: structuredClone(defaultValues) as Values,
    Revision: '',
    NativeSidecars: false,
    ProxyImage: 'docker.io/istio/proxyv2:1.30.3',
    ProxyUID: 1337,
    ProxyGID: 1337,
    InboundTrafficPolicyMode: 'passthrough',
    CompliancePolicy: '',
  };
}

function annotate(data: Data, annotations: Record<string, string>): Data {
  data.ObjectMeta.annotations = { ...data.ObjectMeta.annotations, ...annotations };
  return data;
}

function edit(f: (d: Data) => void): Data {
  const d = helloData();
  f(d);
  return d;
}

/** Data variants: those of template.test.ts and more. */
const variants: [string, Data, string?][] = [
  ['hello classic', helloData()],
  ['hello native', edit((d) => (d.NativeSidecars = true))],
  ['native forced off by annotation', annotate(edit((d) => (d.NativeSidecars = true)), { 'sidecar.istio.io/nativeSidecar': 'false' })],
  ['native forced on by annotation', annotate(helloData(), { 'sidecar.istio.io/nativeSidecar': 'true' })],
  ['traffic annotations', annotate(helloData(), {
    'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.96.0.0/12,192.168.0.0/16',
    'traffic.sidecar.istio.io/excludeOutboundPorts': '3306,6379',
    'traffic.sidecar.istio.io/excludeInboundPorts': '9090',
  })],
  ['include outbound ports', annotate(helloData(), { 'traffic.sidecar.istio.io/includeOutboundPorts': '443' })],
  ['interfaces annotations', annotate(helloData(), {
    'traffic.sidecar.istio.io/kubevirtInterfaces': 'net1',
    'istio.io/reroute-virtual-interfaces': 'net2',
    'traffic.sidecar.istio.io/excludeInterfaces': 'eth9',
  })],
  ['proxyCPU annotation', annotate(helloData(), { 'sidecar.istio.io/proxyCPU': '200m' })],
  ['all resource annotations', annotate(helloData(), {
    'sidecar.istio.io/proxyCPU': '200m',
    'sidecar.istio.io/proxyMemory': '256Mi',
    'sidecar.istio.io/proxyCPULimit': '1',
    'sidecar.istio.io/proxyMemoryLimit': '512Mi',
  })],
  ['hold application via values', edit((d) => (d.Values.global.proxy.holdApplicationUntilProxyStarts = true))],
  ['hold application via mesh config', edit((d) => (d.ProxyConfig.holdApplicationUntilProxyStarts = true))],
  ['hold application, native', edit((d) => {
    d.Values.global.proxy.holdApplicationUntilProxyStarts = true;
    d.NativeSidecars = true;
  })],
  ['revision canary', edit((d) => {
    d.Revision = 'canary';
    d.Values.revision = 'canary';
  })],
  ['CNI', edit((d) => ((d.Values.pilot.cni as Record<string, unknown>).enabled = true))],
  ['CNI multus with existing networks', annotate(edit((d) => {
    (d.Values.pilot.cni as Record<string, unknown>).enabled = true;
    (d.Values.pilot.cni as Record<string, unknown>).provider = 'multus';
  }), { 'k8s.v1.cni.cncf.io/networks': '[{"name": "macvlan"}]', 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.1/32' })],
  ['labels, pull secrets, mesh ID, network', edit((d) => {
    d.ObjectMeta.labels = { 'app.kubernetes.io/name': `${'x'.repeat(62)}-tail`, 'app.kubernetes.io/version': 'v2', 'security.istio.io/tlsMode': 'disabled' };
    d.Values.global.imagePullSecrets = ['registry-a', 'registry-b'];
    d.Values.global.meshID = 'mesh1';
    d.Values.global.network = 'net1';
  })],
  ['prometheus annotations', annotate(helloData(), { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'prometheus.io/path': '/metrics' })],
  ['user volumes', annotate(helloData(), {
    'sidecar.istio.io/userVolume': '{"certs":{"secret":{"secretName":"my-certs"}},"cache":{"emptyDir":{"medium":"Memory"}}}',
    'sidecar.istio.io/userVolumeMount': '{"certs":{"mountPath":"/etc/certs/custom","readOnly":true},"cache":{"mountPath":"/cache"}}',
  })],
  ['TPROXY by annotation', annotate(helloData(), { 'sidecar.istio.io/interceptionMode': 'TPROXY' })],
  ['TPROXY by mesh config', edit((d) => (d.ProxyConfig.interceptionMode = 'TPROXY'))],
  ['capture NONE, classic', annotate(helloData(), { 'sidecar.istio.io/interceptionMode': 'NONE' })],
  ['capture NONE, native', annotate(edit((d) => (d.NativeSidecars = true)), { 'sidecar.istio.io/interceptionMode': 'NONE' })],
  ['mount mTLS certs', edit((d) => {
    d.Values.global.mountMtlsCerts = true;
    (d.Spec as { serviceAccountName?: string }).serviceAccountName = 'hello-sa';
  })],
  ['datadog tracer', annotate(edit((d) => (d.Values.global.proxy.tracer = 'datadog')), { 'apm.datadoghq.com/env': '{"DD_ENV":"prod","DD_SERVICE":"hello","DD_VERSION":2}' })],
  ['proxy metadata', edit((d) => (d.ProxyConfig.proxyMetadata = { ISTIO_META_DNS_CAPTURE: 'true', BOOTSTRAP_XDS_AGENT: 'true', ISTIO_META_ENABLE_HBONE: 'true' }))],
  ['iptables trace logging', edit((d) => (d.ProxyConfig.proxyMetadata = { IPTABLES_TRACE_LOGGING: 'true' }))],
  ['proxy config overrides', edit((d) => {
    Object.assign(d.ProxyConfig, { concurrency: 4, drainDuration: '30s', tracing: { zipkin: { address: 'zipkin.istio-system:9411' } }, statusPort: 15021 });
  })],
  ['status port 0 and bind service', annotate(helloData(), { 'status.sidecar.istio.io/port': '0', 'sidecar.istio.io/capNetBindService': 'true' })],
  ['log levels, probes and bootstrap override', annotate(helloData(), {
    'sidecar.istio.io/logLevel': 'debug',
    'sidecar.istio.io/componentLogLevel': 'misc:info',
    'sidecar.istio.io/agentLogLevel': 'default:debug',
    'readiness.status.sidecar.istio.io/initialDelaySeconds': '5',
    'readiness.status.sidecar.istio.io/periodSeconds': '7',
    'readiness.status.sidecar.istio.io/failureThreshold': '9',
    'sidecar.istio.io/bootstrapOverride': 'my-bootstrap',
    'sidecar.istio.io/proxyImage': 'my.registry/proxy:1',
  })],
  ['values: json logs, sts, outlier log, lifecycle, seccomp, pull policy', edit((d) => {
    const g = d.Values.global;
    g.logAsJson = true;
    g.sts = { servicePort: 15463 };
    g.imagePullPolicy = 'Always';
    g.proxy.outlierLogPath = '/dev/stdout';
    g.proxy.lifecycle = { preStop: { exec: { command: ['sleep', '5'] } } };
    g.proxy.seccompProfile = { type: 'RuntimeDefault' };
    g.proxy.privileged = true;
    g.nativeNftables = true;
    (g.proxy_init as Record<string, unknown>).forceApplyIptables = true;
  })],
  ['values: CA, trust bundle, CRL, cluster trust bundle API', edit((d) => {
    const g = d.Values.global;
    g.caAddress = 'ca.example:15012';
    g.caName = 'GkeWorkloadCertificate';
    g.trustBundleName = 'my-root';
    d.Values.pilot.env = { ENABLE_CLUSTER_TRUST_BUNDLE_API: 'true' };
    d.Values.pilot.crlConfigMapName = 'my-crl';
  })],
  ['non-istiod cert provider, cluster name, compliance, localhost probes', edit((d) => {
    d.Values.global.pilotCertProvider = 'kubernetes';
    (d.Values.global.multiCluster as Record<string, unknown>).clusterName = 'east';
    d.CompliancePolicy = 'fips-140-2';
    d.InboundTrafficPolicyMode = 'localhost';
  })],
  ['several containers, no ports, workload-name label, namespace', edit((d) => {
    d.DeploymentMeta = { Namespace: 'shop', Name: 'cart' };
    d.ObjectMeta.labels = { 'service.istio.io/workload-name': 'cart-wl', app: 'cart', version: 'v3' };
    d.Spec = {
      containers: [
        { name: 'cart', ports: [{ containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }] },
        { name: 'cache' },
        { name: 'metrics', ports: [{ name: 'm', containerPort: 9102, protocol: 'TCP' }] },
      ],
    };
  })],
  ['no containers, ProxyUID/GID 0, no mesh ports', edit((d) => {
    d.Spec = { containers: [] };
    d.ProxyUID = 0;
    d.ProxyGID = 0;
    d.MeshConfig = { trustDomain: '' };
    d.Values.global.trustDomain = 'fallback.local';
  })],
  ['default-container annotations present', annotate(helloData(), { 'kubectl.kubernetes.io/default-container': 'x', 'kubectl.kubernetes.io/default-logs-container': 'y' })],
];

const gatewayVariants: [string, Data][] = [
  ['gateway', edit((d) => {
    d.DeploymentMeta = { Namespace: 'istio-ingress', Name: 'istio-ingressgateway' };
    d.ObjectMeta = { labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' }, annotations: { 'inject.istio.io/templates': 'gateway' } };
    d.Spec = { containers: [{ name: 'istio-proxy', image: 'auto' }] };
  })],
  ['gateway with values', edit((d) => {
    d.DeploymentMeta = { Namespace: 'istio-ingress', Name: 'gw' };
    d.ObjectMeta = { labels: { app: 'gw', 'service.istio.io/canonical-revision': 'r1' }, annotations: { 'sidecar.istio.io/proxyImage': 'custom' } };
    d.Spec = { containers: [{ name: 'istio-proxy', image: 'auto', ports: [{ containerPort: 8080, name: 'http2' }] }] };
    d.Values.gateways = { securityContext: { runAsUser: 1000, runAsNonRoot: true }, seccompProfile: { type: 'RuntimeDefault' } };
    d.Values.global.proxy.lifecycle = { preStop: { exec: { command: ['sleep', '1'] } } };
    d.Values.global.meshID = 'm1';
    d.Values.global.network = 'n1';
    d.Values.global.mountMtlsCerts = true;
    d.ProxyConfig.proxyMetadata = { FOO: 'bar' };
    d.Revision = 'canary';
  })],
];

describe('shipped injection templates: meshctl prints what Go text/template prints', () => {
  const all: [string, string, Data][] = [
    ...variants.map(([name, data]): [string, string, Data] => [`sidecar.tmpl: ${name}`, sidecarTemplate, data]),
    ...gatewayVariants.map(([name, data]): [string, string, Data] => [`gateway.tmpl: ${name}`, gatewayTemplate, data]),
  ];
  let goOut: Outcome[] = [];
  beforeAll(async () => {
    if (goMissing) return;
    goOut = await pool(all, 8, ([, template, data]) => runGo(template, data));
  }, 120_000);

  const sidecar = parseTemplate(sidecarTemplate);
  const gateway = parseTemplate(gatewayTemplate);

  all.forEach(([name, template, data], i) => {
    it.skipIf(goMissing)(title(name), () => {
      const go = goOut[i]!;
      expect(go).toHaveProperty('out');
      const ts = (template === sidecarTemplate ? sidecar : gateway).execute(toTemplateData(data));
      expect(ts).toBe((go as { out: string }).out);
      // And it is the YAML fragment istiod merges.
      expect(parse(ts)).toHaveProperty('spec');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Without Go: the API, and what the differential cases cannot reach.

describe('Go text/template engine: API', () => {
  const run = (t: string, data: unknown = toTemplateData(tableData()), env?: Record<string, string>): string =>
    parseTemplate(t).execute(data, env ? { env } : undefined);

  /** `depth` nested parentheses around 1, each followed by `sep`. */
  const nest = (depth: number, sep = ''): string => `{{ ${`(${sep}`.repeat(depth)}1${')'.repeat(depth)} }}`;
  /** Returns what `f` throws. */
  const thrown = (f: () => unknown): unknown => {
    try {
      f();
    } catch (err) {
      return err;
    }
    return undefined;
  };

  it('bounds nested parentheses as Go does, tripping at the first parenthesis past the bound', () => {
    // Go's bound is 10000, beyond what the JS stack holds; a lowered bound shows the counting.
    const anyFunction = (): boolean => true;
    expect([...parseTrees('t', `${nest(3)}${nest(3)}{{ (1) }}`, anyFunction, 3).keys()]).toEqual(['t']);
    const err = thrown(() => parseTrees('t', `x\n${nest(5, '\n')}`, anyFunction, 3));
    expect(err).toBeInstanceOf(ParseError);
    // Line 1 is "x"; the action opens on line 2 and each parenthesis ends a line, so the fourth is on line 5.
    expect((err as ParseError).message).toBe('template: t:5: max expression depth exceeded');
    expect((err as ParseError).line).toBe(5);
  });

  it('fails past the JS stack with Go\'s depth error at the parenthesis past Go\'s bound, not a RangeError', () => {
    // The parser runs out of JS stack long before Go's 10000 levels; the error still names the
    // line of parenthesis number maxExpressionDepth + 1, as Go's does.
    const err = thrown(() => parseTemplate(`x\n${nest(maxExpressionDepth + 500, '\n')}`));
    expect(err).toBeInstanceOf(TemplateError);
    const line = maxExpressionDepth + 2;
    expect((err as TemplateError).message).toBe(`template: inject:${line}: max expression depth exceeded`);
    expect((err as TemplateError).line).toBe(line);
  });

  it('reports syntax errors with Go\'s text, line and column', () => {
    let caught: unknown;
    try {
      parseTemplate('line one\n  {{ if true }}\n  {{ nosuch 1 }}{{ end }}');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TemplateError);
    expect((caught as TemplateError).message).toBe('template: inject:3: function "nosuch" not defined');
    expect((caught as TemplateError).line).toBe(3);
    expect((caught as TemplateError).column).toBe(5);
  });

  it('reports execution errors with the node, the template being executed, line and byte column', () => {
    const t = parseTemplate('{{ define "part" }}\n é {{ .Nope }}{{ end }}{{ template "part" . }}', 'sidecar');
    let caught: unknown;
    try {
      t.execute(toTemplateData(tableData()));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TemplateError);
    expect((caught as TemplateError).message).toBe(
      'template: sidecar:2:7: executing "part" at <.Nope>: can\'t evaluate field Nope in type *inject.SidecarTemplateData',
    );
    expect([(caught as TemplateError).line, (caught as TemplateError).column]).toEqual([2, 7]);
  });

  it('rejects complex constants, which injection templates never need', () => {
    expect(() => parseTemplate('{{ 1i }}')).toThrow('template: inject:1: complex constants are not supported: "1i"');
  });

  it('reads env from the execute option only, never from process.env', () => {
    process.env.MESHCTL_GOTMPL_TEST = 'from-process';
    try {
      expect(run('{{ env "MESHCTL_GOTMPL_TEST" "dflt" }}')).toBe('dflt');
      expect(run('{{ env "MESHCTL_GOTMPL_TEST" "dflt" }}', undefined, { MESHCTL_GOTMPL_TEST: 'given' })).toBe('given');
      expect(run('{{ env "MESHCTL_GOTMPL_TEST" "dflt" }}', undefined, { MESHCTL_GOTMPL_TEST: '' })).toBe('dflt');
      expect(run('{{ expandenv "a-${MESHCTL_GOTMPL_TEST}-$MESHCTL_GOTMPL_TEST" }}', undefined, { MESHCTL_GOTMPL_TEST: 'x' })).toBe('a-x-x');
    } finally {
      delete process.env.MESHCTL_GOTMPL_TEST;
    }
  });

  it('accepts sprig functions it does not execute at parse time, failing only when they run', () => {
    const t = parseTemplate('{{ if .Values.missing }}{{ now }}{{ end }}ok');
    expect(t.execute(toTemplateData(tableData()))).toBe('ok');
    expect(() => parseTemplate('{{ uuidv4 }}').execute(null)).toThrow(/error calling uuidv4: uuidv4 is not supported/);
  });

  it('takes plain JSON data as interface{} values', () => {
    expect(run('{{ .a.b }} {{ .n }} {{ typeOf .n }} {{ index .l 1 }}', { a: { b: 'x' }, n: 1e6, l: [1, 2] })).toBe('x 1e+06 float64 2');
    expect(run('{{ . }}', null)).toBe('<no value>');
  });

  it('executes a parsed template many times with independent state', () => {
    const t = parseTemplate('{{ $d := dict }}{{ $_ := set $d "k" .Revision }}{{ toJson $d }}');
    expect(t.execute(toTemplateData({ Revision: 'a' }))).toBe('{"k":"a"}');
    expect(t.execute(toTemplateData({ Revision: 'b' }))).toBe('{"k":"b"}');
  });

  it('builds template data with Go zero values and Go types', () => {
    const t = parseTemplate(
      '{{ typeOf .ProxyUID }} {{ typeOf .MeshConfig }} {{ .MeshConfig }} {{ typeOf .ObjectMeta.Annotations }} {{ isset .ObjectMeta.Annotations "x" }} {{ .ProxyConfig }} {{ typeOf .Values }} {{ len .Spec.Containers }}',
    );
    expect(t.execute(toTemplateData({}))).toBe('int64 *v1alpha1.MeshConfig <nil> map[string]string false <nil> map[string]interface {} 0');
    expect(parseTemplate('{{ .Spec.Containers }}').execute(toTemplateData({ Spec: { containers: [{ NAME: 'c', Ports: [{ ContainerPort: 1 }] }] } }))).toBe(
      '[{c  [] [] [{ 0 1  }]}]',
    );
  });

  it('rejects template data istiod could not decode', () => {
    expect(() => toTemplateData({ Revsion: 'x' } as unknown as SidecarTemplateDataJson)).toThrow('unknown SidecarTemplateData field(s) Revsion');
    expect(() => toTemplateData({ ProxyUID: 1.5 })).toThrow('cannot decode number as int64');
    expect(() => toTemplateData({ Spec: { containers: [{ ports: [{ containerPort: '80' as unknown as number }] }] } })).toThrow('containerPort');
    expect(() => toTemplateData({ ProxyConfig: { interceptionMode: 'SIDEWAYS' } })).toThrow('unknown interceptionMode "SIDEWAYS"');
  });
});
