// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Client-side validation of deploy/kubernetes and deploy/Dockerfile, with
 * no cluster and no docker engine (tests/test_kubernetes.sh):
 *
 *   node validate.js check K8S_DIR DOCKERFILE RULES ALERTS VERSION
 *   node validate.js args K8S_DIR        the kstatd container's args, one a line
 *   node validate.js probes K8S_DIR      "port path" of each HTTP probe
 *   node validate.js packages DOCKERFILE the runtime stage's apt packages
 *
 * check: each object against the OpenAPI schema of its kind
 * (kubernetes-models: types, required fields, formats), the same objects
 * as TypeScript literals of the models' interfaces (tsc rejects a field
 * the kind does not have, which the schemas let through), the objects
 * against each other (selectors, ports, namespaces, the PrometheusRule
 * against the rule files), what kstatd needs of the DaemonSet, and the
 * Dockerfile with dockerfile-utils plus its stages.  Prints "ok ..." or
 * "FAIL: ..." per check; exits 1 if any failed.
 */
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const YAML = require("yaml");

const MODELS = {
	"v1/Namespace": ["kubernetes-models/v1/Namespace", "Namespace", "INamespace"],
	"v1/Service": ["kubernetes-models/v1/Service", "Service", "IService"],
	"apps/v1/DaemonSet": ["kubernetes-models/apps/v1/DaemonSet", "DaemonSet", "IDaemonSet"],
	"monitoring.coreos.com/v1/ServiceMonitor": [
		"@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor",
		"ServiceMonitor", "IServiceMonitor"],
	"monitoring.coreos.com/v1/PrometheusRule": [
		"@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule",
		"PrometheusRule", "IPrometheusRule"],
};

let fails = 0;
function check(ok, what) {
	console.log(ok ? "ok   " + what : "FAIL: " + what);
	if (!ok)
		fails++;
}

function load(dir) {
	const objs = [];
	for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
		for (const d of YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), "utf8"))) {
			if (d.errors.length)
				throw new Error(f + ": " + d.errors[0].message);
			const o = d.toJS();
			if (o)
				objs.push({ file: f, obj: o });
		}
	}
	return objs;
}

const find = (objs, kind) => objs.filter((o) => o.obj.kind === kind).map((o) => o.obj);
const matches = (sel, labels) => Object.entries(sel || {}).every(([k, v]) => labels && labels[k] === v);

function schemas(objs) {
	for (const { file, obj } of objs) {
		if (obj.kind === "Kustomization")
			continue;
		const m = MODELS[obj.apiVersion + "/" + obj.kind];
		check(m, `${file}: ${obj.apiVersion} ${obj.kind} is a known kind`);
		if (!m)
			continue;
		const Model = require(m[0])[m[1]];
		let err = "";
		try {
			new Model(obj).validate();
		} catch (e) {
			err = e.message;
		}
		check(!err, `${file}: ${obj.kind} ${obj.metadata.name} passes its OpenAPI schema${err ? ": " + err : ""}`);
	}
}

/* tsc's excess property checks on object literals catch unknown fields */
function typescript(objs) {
	const ts = require("typescript");
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kstatd-k8s-"));
	const file = path.join(dir, "manifests.ts");
	let src = "", n = 0;
	for (const { obj } of objs) {
		const m = MODELS[obj.apiVersion + "/" + obj.kind];
		if (!m)
			continue;
		src += `import { ${m[2]} as T${n} } from "${m[0]}";\n`;
		src += `export const o${n}: T${n} = ${JSON.stringify(obj, null, 1)};\n`;
		n++;
	}
	fs.writeFileSync(file, src);
	const prog = ts.createProgram([file], {
		strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2020,
		module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
		baseUrl: __dirname, typeRoots: [], types: [],
		paths: { "*": [path.join(__dirname, "node_modules", "*")] },
	});
	const diags = ts.getPreEmitDiagnostics(prog).map((d) =>
		ts.flattenDiagnosticMessageText(d.messageText, " ").slice(0, 240));
	fs.rmSync(dir, { recursive: true, force: true });
	check(!diags.length, `${n} objects type-check as TypeScript literals of their kinds (no unknown ` +
		`field)${diags.length ? ": " + diags.slice(0, 3).join(" | ") : ""}`);
}

function consistency(objs, rulesFile, alertsFile, version) {
	const [ns] = find(objs, "Namespace");
	const [ds] = find(objs, "DaemonSet");
	const [svc] = find(objs, "Service");
	const [sm] = find(objs, "ServiceMonitor");
	const [pr] = find(objs, "PrometheusRule");
	check(ns && ds && svc && sm && pr, "a Namespace, DaemonSet, Service, ServiceMonitor and PrometheusRule");
	if (!(ns && ds && svc && sm && pr))
		return;
	const name = ns.metadata.name;
	check(objs.every((o) => ["Namespace", "Kustomization"].includes(o.obj.kind) || o.obj.metadata.namespace === name),
		`every object is in namespace ${name}`);
	const kust = objs.find((o) => o.obj.kind === "Kustomization");
	const files = [...new Set(objs.filter((o) => o.obj.kind !== "Kustomization").map((o) => o.file))].sort();
	check(kust && JSON.stringify([...kust.obj.resources].sort()) === JSON.stringify(files),
		"kustomization.yaml lists every manifest");

	const tpl = ds.spec.template;
	const pod = tpl.spec;
	const c = pod.containers.find((x) => x.name === "kstatd");
	check(c, "the DaemonSet runs a container named kstatd");
	if (!c)
		return;
	check(matches(ds.spec.selector.matchLabels, tpl.metadata.labels), "the DaemonSet's selector matches its pods");
	check(matches(svc.spec.selector, tpl.metadata.labels), "the Service selects the DaemonSet's pods");
	const sport = svc.spec.ports.find((p) => p.name === "metrics");
	const cport = (c.ports || []).find((p) => p.name === sport?.targetPort);
	check(sport && cport && cport.containerPort === sport.port,
		`the Service's metrics port reaches the container's (${cport?.containerPort})`);
	check(matches(sm.spec.selector.matchLabels, svc.metadata.labels) &&
		sm.spec.namespaceSelector.matchNames.includes(svc.metadata.namespace),
		"the ServiceMonitor selects the Service");
	check(sm.spec.endpoints.every((e) => svc.spec.ports.some((p) => p.name === e.port)),
		"the ServiceMonitor scrapes a port the Service has");
	check(svc.metadata.labels[sm.spec.jobLabel] === "kstatd",
		"the ServiceMonitor's job label is kstatd, as the rules and alerts expect");
	const groups = ["rules", "alerts"].map((_, i) => YAML.parse(fs.readFileSync([rulesFile, alertsFile][i], "utf8")).groups);
	check(JSON.stringify(pr.spec.groups) === JSON.stringify(groups[0].concat(groups[1])),
		"the PrometheusRule holds exactly the groups of kstatd.rules.yml and kstatd.alerts.yml");

	const sc = c.securityContext || {};
	check(pod.hostPID === true && pod.hostNetwork === true, "hostPID and hostNetwork");
	check(sc.runAsUser === 0 && sc.allowPrivilegeEscalation === false && sc.readOnlyRootFilesystem === true &&
		!sc.privileged, "uid 0, no privilege escalation, a read-only root filesystem, not privileged");
	check(JSON.stringify(sc.capabilities) === JSON.stringify({ drop: ["ALL"], add: ["BPF", "PERFMON"] }),
		"capabilities: drop ALL, add BPF and PERFMON only");
	check(sc.seccompProfile?.type === "RuntimeDefault" && sc.appArmorProfile?.type === "Unconfined",
		"seccomp RuntimeDefault; AppArmor unconfined (bpffs writes)");
	const mount = (p) => (c.volumeMounts || []).find((m) => m.mountPath === p);
	const hostPath = (m) => pod.volumes.find((v) => v.name === m?.name)?.hostPath?.path;
	check(hostPath(mount("/sys/fs/bpf")) === "/sys/fs/bpf" && !mount("/sys/fs/bpf").readOnly,
		"the host's bpffs is mounted writable at /sys/fs/bpf");
	check(hostPath(mount("/sys/kernel/tracing")) === "/sys/kernel/tracing", "the host's tracefs is mounted");
	const arg = (k) => (c.args.find((a) => a.startsWith(k + "=")) || "").slice(k.length + 1);
	check(arg("--pin-path").startsWith("/sys/fs/bpf/"), `--pin-path ${arg("--pin-path")} is on the bpffs mount`);
	const sockdir = path.dirname(arg("--socket"));
	check(mount(sockdir) && !mount(sockdir).readOnly, `--socket's directory ${sockdir} is a writable volume`);
	const listen = arg("--web.listen-address");
	check(listen.endsWith(":" + cport.containerPort), `--web.listen-address ${listen} is the metrics port`);
	check((c.env || []).some((e) => e.name === "HOST_IP" && e.valueFrom?.fieldRef?.fieldPath === "status.hostIP"),
		"$(HOST_IP) is the node's address");
	const probes = ["startupProbe", "readinessProbe", "livenessProbe"].filter((p) => c[p]);
	check(probes.length === 3 && probes.every((p) => c[p].httpGet && c[p].httpGet.port === "metrics"),
		"startup, readiness and liveness probes on HTTP, on the metrics port");
	check(c.resources?.requests?.cpu && c.resources?.requests?.memory && c.resources?.limits?.memory,
		"resources: CPU and memory requests, a memory limit");
	check(c.image.endsWith(":" + version) && tpl.metadata.labels !== undefined &&
		ds.metadata.labels["app.kubernetes.io/version"] === version, `the image and labels are of kstatd ${version}`);
}

function dockerStages(text) {
	const lines = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
	const stages = [];
	for (const l of lines) {
		const m = l.match(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i);
		if (m)
			stages.push({ image: m[1], name: m[2], lines: [] });
		else if (stages.length)
			stages[stages.length - 1].lines.push(l);
	}
	return stages;
}

function packages(text) {
	const last = dockerStages(text).pop();
	const run = last.lines.filter((l) => l.startsWith("RUN")).join(" ");
	const m = run.match(/apt-get install\s+(.*?)(&&|$)/);
	return m ? m[1].split(/\s+/).filter((w) => w && !w.startsWith("-")) : [];
}

function docker(file, port) {
	const text = fs.readFileSync(file, "utf8");
	const diags = require("dockerfile-utils").validate(text);
	check(!diags.length, `dockerfile-utils finds nothing in the Dockerfile${diags.length ? ": " +
		diags.map((d) => d.message).join("; ") : ""}`);
	const stages = dockerStages(text);
	check(stages.length >= 2 && stages.every((s) => /^debian:bookworm(-slim)?$/.test(s.image)),
		`multi-stage, every stage Debian 12 (${stages.map((s) => s.image).join(", ")})`);
	const froms = stages.flatMap((s) => s.lines.map((l) => l.match(/^COPY\s+--from=(\S+)/)).filter(Boolean));
	check(froms.length && froms.every((m) => stages.some((s) => s.name === m[1])),
		"every COPY --from names an earlier stage");
	const last = stages[stages.length - 1].lines;
	check(last.some((l) => l === `EXPOSE ${port}`), `the image exposes the metrics port ${port}`);
	check(last.some((l) => l.startsWith('ENTRYPOINT ["/usr/sbin/kstatd"')), "its entrypoint is kstatd, in exec form");
	check(!/apt-get install/.test(last.join(" ")) || /rm -rf \/var\/lib\/apt\/lists/.test(last.join(" ")),
		"apt lists are removed in the layer that fetched them");
}

const [cmd, a, b, c, d, e] = process.argv.slice(2);
if (cmd === "args") {
	const ds = find(load(a), "DaemonSet")[0];
	console.log(ds.spec.template.spec.containers[0].args.join("\n"));
} else if (cmd === "probes") {
	const c0 = find(load(a), "DaemonSet")[0].spec.template.spec.containers[0];
	for (const p of ["startupProbe", "readinessProbe", "livenessProbe"])
		console.log(p + " " + c0[p].httpGet.path);
} else if (cmd === "packages") {
	console.log(packages(fs.readFileSync(a, "utf8")).join("\n"));
} else if (cmd === "check") {
	const objs = load(a);
	schemas(objs);
	typescript(objs);
	consistency(objs, c, d, e);
	const ds = find(objs, "DaemonSet")[0];
	docker(b, ds ? ds.spec.template.spec.containers[0].ports[0].containerPort : 0);
	console.log(`${fails} failed`);
	process.exit(fails ? 1 : 0);
} else {
	console.error("usage: validate.js check|args|probes|packages ...");
	process.exit(2);
}
