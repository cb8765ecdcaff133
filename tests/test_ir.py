"""The printed IR names inputs by pytree path; ``to_dot`` draws the program."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

import fntrans as ft
import fntrans.numpy as fnp
from fntrans.core.ir import IR, Literal
from fntrans.interpreters.staging import input_names, parameter_names


def header(ir: IR) -> str:
    return str(ir).splitlines()[0]


def mlp(params, x):
    h = fnp.tanh(x @ params["W1"] + params["b1"])
    return fnp.sum(h @ params["W2"])


PARAMS = {"W1": np.ones((3, 2)), "b1": np.zeros(2), "W2": np.ones(2)}


# ---- input names ----


def test_dict_leaves_are_named_by_their_keys():
    ir = ft.make_jaxpr(mlp)(PARAMS, np.ones(3))
    assert str(ir) == (
        "{ lambda ; params['W1']:f64[3,2] params['W2']:f64[2] params['b1']:f64[2] x:f64[3]. let\n"
        "    a:f64[2] = matmul x params['W1']\n"
        "    b:f64[2] = add a params['b1']\n"
        "    c:f64[2] = tanh b\n"
        "    d:f64[] = matmul c params['W2']\n"
        "    e:f64[] = reduce_sum[axes=()] d\n"
        "  in (e,) }"
    )
    flat = [PARAMS["W1"], PARAMS["W2"], PARAMS["b1"], np.ones(3)]
    np.testing.assert_allclose(ir(*flat)[0], mlp(PARAMS, np.ones(3)))


def test_list_tuple_and_nested_leaves_are_named_by_their_paths():
    def f(layers, wb, scale):
        return fnp.sum(layers[1]["w"] * wb[0] + wb[1] * scale) + layers[0]

    layers = [1.0, {"w": np.ones(2), "b": np.zeros(2)}]
    ir = ft.make_jaxpr(f)(layers, (np.ones(2), 2.0), 3.0)
    assert header(ir) == (
        "{ lambda ; layers[0]:f64[] layers[1]['b']:f64[2] layers[1]['w']:f64[2] "
        "wb[0]:f64[2] wb[1]:f64[] scale:f64[]. let"
    )
    assert "mul layers[1]['w'] wb[0]" in str(ir)


def test_star_args_are_named_by_position_and_letters_avoid_given_names():
    ir = ft.make_jaxpr(lambda *a: a[0] * a[1][0])(1.0, [2.0, 3.0])
    assert str(ir) == (
        "{ lambda ; a[0]:f64[] a[1][0]:f64[] a[1][1]:f64[]. let\n"
        "    b:f64[] = mul a[0] a[1][0]\n"
        "  in (b,) }"
    )
    ir = ft.make_jaxpr(lambda a, b: a * b)(1.0, 2.0)
    assert str(ir).splitlines()[1] == "    c:f64[] = mul a b"


def test_keyword_arguments_are_not_inputs():
    # keywords are passed as they are: an array among them is a constant
    def f(x, y=None, *, scale):
        return x * y * scale

    ir = ft.make_jaxpr(f)(np.ones(2), y=np.arange(2.0), scale=3.0)
    assert ir.in_names == ["x"]
    assert len(ir.invars) == 1 and len(ir.consts) == 1
    assert header(ir) == "{ lambda a:f64[2]; x:f64[2]. let"
    np.testing.assert_allclose(ir(np.ones(2))[0], [0.0, 3.0])


def test_static_arguments_keep_the_names_of_the_others():
    def f(n, x):
        return x**n

    ir = ft.make_jaxpr(f, static_argnums=0)(3, np.ones(2))
    assert header(ir) == "{ lambda ; x:f64[2]. let"


def test_names_follow_the_wrapped_function_of_a_transform():
    ir = ft.make_jaxpr(ft.grad(mlp))(PARAMS, np.ones(3))
    assert header(ir).endswith(
        "; params['W1']:f64[3,2] params['W2']:f64[2] params['b1']:f64[2] x:f64[3]. let"
    )


def test_names_have_no_spaces():
    ir = ft.make_jaxpr(lambda d: d["my key"] * d[(1, 2)])({"my key": 1.0, (1, 2): 2.0})
    assert sorted(ir.in_names) == ["d['my_key']", "d[(1,2)]"]


def test_a_function_without_a_signature_gets_numbered_names():
    assert parameter_names(max, 2) == ["arg0", "arg1"]  # a builtin without a signature
    assert parameter_names(lambda x, *rest, k=1: x, 3) == ["x", "rest[0]", "rest[1]"]
    labels, messages = input_names(lambda p: p, 1, [(0, ("w",))])
    assert labels == ["p['w']"] and messages == ["argument 0['w']"]


def test_control_flow_error_names_the_leaf():
    def f(params):
        return params["w"] if params["b"] > 0 else -params["w"]

    with pytest.raises(ft.ConcretizationError, match=re.escape("argument 0['b']")):
        ft.make_jaxpr(f)({"w": 1.0, "b": 2.0})


# ---- to_dot ----

NODE = re.compile(r"^  (\w+) \[label=\"((?:[^\"\\]|\\.)*)\"(.*)\];$")
EDGE = re.compile(r"^  (\w+) -> (\w+)(?: \[label=\"((?:[^\"\\]|\\.)*)\"\])?;$")


def parse_dot(text: str):
    """Nodes {id: label} and edges [(tail, head, label)] of ``to_dot``'s output;
    fails on any line of another shape."""
    lines = text.splitlines()
    assert lines[0] == "digraph IR {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if m := NODE.match(line):
            assert m.group(1) not in nodes, f"node {m.group(1)} declared twice"
            nodes[m.group(1)] = m.group(2)
        elif m := EDGE.match(line):
            edges.append(m.groups())
        else:
            assert re.match(r"^  (rankdir|ordering)=\w+;$|^  (node|edge) \[.*\];$", line), line
    for tail, head, _ in edges:
        assert tail in nodes and head in nodes, (tail, head)
    return nodes, edges


def check_data_flow(ir: IR):
    """One node per equation, labelled with its primitive; the edges into each
    equation and output come, in order, from the nodes that define their values."""
    nodes, edges = parse_dot(ir.to_dot())
    source = {v: f"in{i}" for i, v in enumerate(ir.invars)}
    source.update({v: f"const{i}" for i, v in enumerate(ir.constvars)})
    for i, eqn in enumerate(ir.eqns):
        source.update({v: f"eqn{i}" for v in eqn.outvars})
    eqn_nodes = [n for n in nodes if n.startswith("eqn")]
    assert eqn_nodes == [f"eqn{i}" for i in range(len(ir.eqns))]
    heads = [(f"eqn{i}", eqn.invars) for i, eqn in enumerate(ir.eqns)]
    heads += [(f"out{i}", [v]) for i, v in enumerate(ir.outvars)]
    for head, invars in heads:
        tails = [t for t, h, _ in edges if h == head]
        assert len(tails) == len(invars)
        for tail, v in zip(tails, invars):
            if type(v) is Literal:
                assert tail.startswith("lit") and nodes[tail] == str(v.value)
            else:
                assert tail == source[v]
    for i, eqn in enumerate(ir.eqns):
        assert nodes[f"eqn{i}"].split("\\n")[0] == eqn.prim.name
    assert len(edges) == sum(len(invars) for _, invars in heads)
    return nodes, edges


def test_to_dot_of_a_small_program():
    ir = ft.make_jaxpr(mlp)(PARAMS, np.ones(3))
    nodes, edges = check_data_flow(ir)
    assert nodes["in0"] == "params['W1']\\nf64[3,2]"
    assert nodes["eqn4"] == "reduce_sum\\naxes=()"
    assert nodes["out0"] == "out\\nf64[]"
    assert ("eqn0", "eqn1", "a:f64[2]") in edges  # edge labels are the printed names


def test_to_dot_with_several_results_constants_and_literals():
    c = np.arange(3.0)
    ir = ft.make_jaxpr(lambda x: (x * c, fnp.linalg.slogdet(x * np.eye(3)), 2.0, x))(1.0)
    nodes, edges = check_data_flow(ir)
    assert nodes["const0"] == "a = [0.,1.,2.]\\nf64[3]"  # a few values are shown
    assert nodes["const1"] == "b\\nf64[3,3]"  # more are not
    assert [n for n in nodes if n.startswith("out")] == [f"out{i}" for i in range(5)]
    assert nodes["out1"] == "out[1][0]\\nf64[]" and nodes["out2"] == "out[1][1]\\nf64[]"
    slogdet = next(f"eqn{i}" for i, e in enumerate(ir.eqns) if e.prim.name == "slogdet")
    assert {(t, h) for t, h, _ in edges if t == slogdet} == {(slogdet, "out1"), (slogdet, "out2")}


def test_to_dot_of_a_gradient_names_outputs_by_path():
    ir = ft.make_jaxpr(ft.grad(mlp))(PARAMS, np.ones(3))
    nodes, _ = check_data_flow(ir)
    assert [nodes[f"out{i}"].split("\\n")[0] for i in range(3)] == [
        "out['W1']",
        "out['W2']",
        "out['b1']",
    ]


def test_to_dot_escapes_quotes_and_long_parameters():
    ir = ft.make_jaxpr(lambda d: d['say "hi"'] * 2.0)({'say "hi"': 1.0})
    nodes, _ = parse_dot(ir.to_dot())
    assert nodes["in0"] == "d['say_\\\"hi\\\"']\\nf64[]"
    ir = ft.make_jaxpr(lambda x: fnp.reshape(x, (1,) * 20))(1.0)
    nodes, _ = parse_dot(ir.to_dot())
    assert nodes["eqn0"].endswith("...") and len(nodes["eqn0"]) < 50


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_render_writes_the_picture(tmp_path):
    ir = ft.make_jaxpr(ft.grad(mlp))(PARAMS, np.ones(3))
    path = ir.render(tmp_path / "mlp.svg")
    assert "<svg" in open(path).read()
    dot = subprocess.run(["dot", "-Tplain"], input=ir.to_dot().encode(), capture_output=True)
    assert dot.returncode == 0 and not dot.stderr


def test_render_without_graphviz_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="Graphviz"):
        ft.make_jaxpr(fnp.sin)(1.0).render(tmp_path / "sin.svg")
