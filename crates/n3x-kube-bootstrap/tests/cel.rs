//! The CEL of the Longhorn gate and policy, evaluated with a real CEL implementation
//! (cel-interpreter): the ValidatingAdmissionPolicy admits a pod exactly when every
//! container and init container carries the NixOS PATH, and the MutatingPolicy's
//! ApplyConfiguration expression is well-formed CEL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use cel_interpreter::{Context, Program, Value as Cel};
use n3x_kube_bootstrap::manifests::NIXOS_PATH;
use serde_json::{json, Value};

fn rendered() -> Vec<n3x_kube_bootstrap::Manifest> {
    let text = std::fs::read_to_string(common::root().join(common::example_path("edge-lab"))).unwrap();
    let doc = n3x_core::Document::parse("inventory.yaml", &text).unwrap();
    let (cluster, _) = n3x_core::normalize::load_cluster(&doc).unwrap();
    n3x_kube_bootstrap::bootstrap(&cluster).unwrap().0
}

fn gate_expression() -> String {
    let files = rendered();
    let gate = files.iter().find(|f| f.name == "longhorn-gate").unwrap();
    let vap = gate.docs.iter().find(|d| d["kind"] == "ValidatingAdmissionPolicy").unwrap();
    vap["spec"]["validations"][0]["expression"].as_str().unwrap().to_string()
}

fn admits(program: &Program, pod: &Value) -> bool {
    let mut ctx = Context::default();
    ctx.add_variable("object", pod.clone()).unwrap();
    match program.execute(&ctx) {
        Ok(Cel::Bool(b)) => b,
        other => panic!("the gate expression did not give a boolean for {pod}: {other:?}"),
    }
}

/// What the Kyverno policy does to a pod: PATH on every container and init container
/// (replacing a PATH entry, keeping the others).
fn mutated(pod: &Value) -> Value {
    let mut pod = pod.clone();
    for field in ["containers", "initContainers"] {
        // get_mut, not IndexMut: indexing would insert `field: null` into the pod.
        if let Some(list) = pod["spec"].get_mut(field).and_then(Value::as_array_mut) {
            for c in list {
                let mut env: Vec<Value> = c["env"].as_array().cloned().unwrap_or_default();
                env.retain(|e| e["name"] != "PATH");
                env.push(json!({"name": "PATH", "value": NIXOS_PATH}));
                c["env"] = Value::Array(env);
            }
        }
    }
    pod
}

fn longhorn_manager() -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "longhorn-manager-x", "namespace": "longhorn-system"},
    "spec": {
        "initContainers": [{"name": "wait-longhorn-admission-webhook", "image": "longhornio/longhorn-manager"}],
        "containers": [
            {"name": "longhorn-manager", "image": "longhornio/longhorn-manager",
             "env": [{"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}]},
            {"name": "pre-pull-share-manager-image", "image": "longhornio/longhorn-share-manager"}
        ]
    }})
}

#[test]
fn the_gate_admits_exactly_the_mutated_pods() {
    let program = Program::compile(&gate_expression()).unwrap();
    let pod = longhorn_manager();
    assert!(!admits(&program, &pod), "an unmutated Longhorn pod must be refused");
    assert!(admits(&program, &mutated(&pod)), "a mutated Longhorn pod must be admitted");

    // Without init containers.
    let mut plain = pod.clone();
    plain["spec"].as_object_mut().unwrap().remove("initContainers");
    assert!(!admits(&program, &plain));
    assert!(admits(&program, &mutated(&plain)));

    // Containers mutated, an init container not: refused.
    let mut half = mutated(&pod);
    half["spec"]["initContainers"][0].as_object_mut().unwrap().remove("env");
    assert!(!admits(&program, &half));

    // A PATH, but not the NixOS one: refused.
    let mut wrong = mutated(&pod);
    wrong["spec"]["containers"][0]["env"] = json!([{"name": "PATH", "value": "/usr/bin:/bin"}]);
    assert!(!admits(&program, &wrong));

    // PATH from a ConfigMap (no value): refused, not an evaluation error.
    let mut from = mutated(&pod);
    from["spec"]["containers"][1]["env"] =
        json!([{"name": "PATH", "valueFrom": {"configMapKeyRef": {"name": "x", "key": "p"}}}]);
    assert!(!admits(&program, &from));
}

#[test]
fn the_mutating_policy_expression_is_cel() {
    let files = rendered();
    let policy = files.iter().find(|f| f.name == "longhorn-nixos-path").unwrap();
    let expr = policy.docs[0]["spec"]["mutations"][0]["applyConfiguration"]["expression"].as_str().unwrap();
    assert!(expr.contains(NIXOS_PATH));
    if let Err(e) = Program::compile(expr) {
        panic!("the MutatingPolicy expression does not parse as CEL: {e}\n{expr}");
    }
}
