"""A failure found once is replayed first next time (hypothesis' database in the data dir)."""
import types

from grader import paths, runner
from grader.catalog import load_catalog
from grader.impl import LocalImpl
from grader.runner import grade, load_drill

DRILL = load_catalog().get("attention")


def rarely_wrong():
    """The reference, except for two leading dims, Lq == 7 and Lk == 1: about 1 example in 126."""
    ref = load_drill(DRILL).reference

    def scaled_dot_product_attention(q, k, v, mask=None):
        out = ref.scaled_dot_product_attention(q, k, v, mask)
        return out * 1.5 if q.dim() == 4 and q.shape[-2] == 7 and k.shape[-2] == 1 else out

    return types.SimpleNamespace(scaled_dot_product_attention=scaled_dot_product_attention)


def test_a_past_failure_is_the_first_example_of_the_next_run(drill_home, monkeypatch):
    ns = rarely_wrong()
    factory = lambda device: LocalImpl(ns, DRILL.entry_points, device)  # noqa: E731
    # up to 2000 examples: it is found (and saved) but for a chance of about 1e-7
    monkeypatch.setitem(runner.PROFILES, "finder", {"examples": 2000, "derandomize": False, "database": True})
    first = grade(DRILL, impl_factory=factory, profile="finder", devices=("cpu",), diagnose=False, fail_fast=True)
    assert first.status == "fail"
    saved = [f for f in paths.hypothesis_db_dir().rglob("*") if f.is_file()]
    assert saved and str(paths.hypothesis_db_dir()).startswith(str(drill_home)), "kept under the data dir"

    again = grade(DRILL, impl_factory=factory, profile="quick", devices=("cpu",), fail_fast=True, diagnose=False)
    assert again.status == "fail"
    failed = [p for p in again.properties if p.status == "fail"]
    # examples counts the calls of the property: the replayed failure, then its reproduction
    assert failed[0].name == "matches_reference" and failed[0].examples <= 2, "replayed before any new example"
    assert again.properties[0] is failed[0], "the very first property run failed"
