"""The scenario library: saves that last, concurrent writers, migrations, damaged files, archives."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

import budgetsim as bs
from budgetsim.exceptions import LibraryError
from budgetsim.library import Library, archive_bytes, export_library, import_archive, library_path, store
from budgetsim.library.archive import INDEX

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def plus10():
    return bs.solve(bs.load_scenario(ROOT / "scenarios" / "budget_plus_10.yaml"))


def test_a_saved_scenario_comes_back_as_the_same_plan(tmp_path, plus10):
    lib = Library(tmp_path / "lib.sqlite3")
    e = lib.save_result(plus10, "方案 甲", notes="预算多一成", author="王科长")
    assert (e.name, e.kind, e.author, e.notes, e.base, e.objective) == (
        "方案 甲", "pin", "王科长", "预算多一成", "baseline", "max-performance")
    assert e.diff_yaml.splitlines()[2] == "extends: baseline" and "base_amount_wan: 66000" in e.diff_yaml
    assert e.headline["performance"] == pytest.approx(plus10.performance)
    assert e.headline["targets_met"] == 2 and e.created_at.endswith("+00:00")
    again = Library(tmp_path / "lib.sqlite3").entries()  # a new object on the same file: nothing held in memory
    assert [x.name for x in again] == ["方案 甲"]
    assert bs.solve(again[0].scenario()).performance == pytest.approx(plus10.performance, rel=1e-9)


def test_save_replaces_a_same_named_entry_rename_and_delete(tmp_path, plus10, baseline_result):
    lib = Library(tmp_path / "lib.sqlite3")
    a = lib.save_result(baseline_result, "A")
    b = lib.save_result(plus10, "B", kind="draft")
    a2 = lib.save_result(plus10, "A", notes="second")
    assert a2.id == a.id and a2.created_at == a.created_at and a2.notes == "second"
    assert a2.headline["performance"] == pytest.approx(plus10.performance)
    assert [e.name for e in lib.entries("pin")] == ["A"] and [e.name for e in lib.entries("draft")] == ["B"]
    assert lib.find("B").id == b.id and lib.find(str(a.id)).name == "A"
    lib.save_result(baseline_result, "C")
    with pytest.raises(LibraryError, match="'C' is already taken"):
        lib.rename(a.id, "C")
    assert lib.rename(a.id, "  新  名称 ").name == "新 名称"
    lib.delete(b.id)
    assert {e.name for e in lib.entries()} == {"新 名称", "C"}
    with pytest.raises(LibraryError, match=f"no entry with id {b.id}"):
        lib.delete(b.id)
    with pytest.raises(LibraryError, match="needs a name"):
        lib.save("  ", "extends: baseline\n")
    with pytest.raises(LibraryError, match="kind: 'memo' is not allowed"):
        lib.save("x", "extends: baseline\n", kind="memo")
    with pytest.raises(LibraryError, match="no entry named or numbered 'nope'"):
        lib.find("nope")


def test_where_the_library_lives(tmp_path, monkeypatch):
    monkeypatch.setenv("BUDGETSIM_LIBRARY", str(tmp_path / "env.sqlite3"))
    assert library_path() == tmp_path / "env.sqlite3"
    assert library_path(tmp_path / "given.sqlite3") == tmp_path / "given.sqlite3"  # the explicit path wins
    monkeypatch.delenv("BUDGETSIM_LIBRARY")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    if sys.platform.startswith("linux"):
        assert library_path() == tmp_path / "data" / "budgetsim" / "library.sqlite3"
    assert Path(bs.__file__).parent not in library_path().parents  # never inside the package


def _v1_file(path: Path) -> None:
    """A library as schema version 1 wrote it, with two pins of the same name."""
    conn = sqlite3.connect(path, isolation_level=None)
    store.MIGRATIONS[1](conn)
    conn.execute("UPDATE schema_version SET version = 1")
    for i in range(2):
        conn.execute("INSERT INTO entries (name, notes, created_at, objective, base, diff_yaml, headline, saved_by) "
                     "VALUES (?, '', ?, 'max-performance', 'baseline', ?, '{\"performance\": 108.4}', '0.0.9')",
                     ("方案 1", f"2026-01-0{i + 1}T08:00:00+00:00", "extends: baseline\nid: old\n"))
    conn.close()


def test_migrations_v1_to_v3_keep_every_entry(tmp_path):
    path = tmp_path / "old.sqlite3"
    _v1_file(path)
    lib = Library(path)
    assert lib.schema_version() == store.SCHEMA_VERSION == 3
    got = lib.entries()
    assert [(e.name, e.kind, e.author, e.updated_at) for e in got] == [
        ("方案 1", "pin", "", "2026-01-01T08:00:00+00:00"), ("方案 1 (2)", "pin", "", "2026-01-02T08:00:00+00:00")]
    assert got[0].headline == {"performance": 108.4} and got[0].saved_by == "0.0.9" and got[0].plan is None
    assert got[0].scenario().id == "old"
    with pytest.raises(LibraryError, match="already taken"):  # v2's one name per kind holds
        lib.rename(got[1].id, "方案 1")


def test_a_newer_schema_is_refused_untouched(tmp_path):
    path = tmp_path / "new.sqlite3"
    Library(path).entries()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE schema_version SET version = 9")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(LibraryError, match="newer budgetsim .*schema 9.* reads up to 3"):
        Library(path).entries()
    assert path.read_bytes() == before


@pytest.mark.parametrize("content", [b"this is not a database, it is a note\n" * 40,
                                     b"SQLite format 3\x00" + b"\xff" * 4000])
def test_a_damaged_file_gets_a_clear_message_and_is_never_overwritten(tmp_path, content, baseline_result):
    path = tmp_path / "lib.sqlite3"
    path.write_bytes(content)
    lib = Library(path)
    for action in (lib.entries, lambda: lib.save_result(baseline_result, "x")):
        with pytest.raises(LibraryError) as err:
            action()
        msg = str(err.value)
        assert str(path) in msg and "left untouched" in msg and "BUDGETSIM_LIBRARY" in msg
        assert "damaged" in msg or "not a budgetsim library" in msg
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lib.sqlite3"]  # no -wal/-shm, no replacement


def test_another_programs_database_is_refused(tmp_path):
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(LibraryError, match=r"another program's SQLite database \(tables \['invoices'\]\)"):
        Library(path).entries()
    assert path.read_bytes() == before


_WRITER = textwrap.dedent("""
    import sys
    from budgetsim.library import Library
    lib, who, n = Library(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    sys.stdin.readline()  # both start together
    for i in range(n):
        lib.save(f"{who}-{i}", f"extends: baseline\\nid: {who}_{i}\\n", author=who, headline={"i": i})
""")


def test_two_processes_saving_at_once_lose_nothing(tmp_path):
    path = tmp_path / "shared.sqlite3"
    n = 60
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), who, str(n)], env=env, cwd=tmp_path,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for who in ("alice", "bob")]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    got = Library(path).entries()
    assert len(got) == 2 * n
    assert {e.name for e in got} == {f"{w}-{i}" for w in ("alice", "bob") for i in range(n)}
    times = [e.created_at for e in got]
    assert times == sorted(times)


def test_export_and_import_round_trip(tmp_path, plus10, baseline_result):
    lib = Library(tmp_path / "a.sqlite3")
    lib.save_result(baseline_result, "基准", author="甲")
    lib.save_result(plus10, "加一成", kind="draft", notes="草稿")
    out = export_library(lib, tmp_path / "out" / "lib.zip")
    with zipfile.ZipFile(out) as z:
        index = json.loads(z.read(INDEX))
        assert [e["name"] for e in index["entries"]] == ["基准", "加一成"]
        assert all(z.read(e["file"]).decode().startswith("# budgetsim scenario diff") for e in index["entries"])
    other = Library(tmp_path / "b.sqlite3")
    other.save_result(baseline_result, "加一成", kind="draft")  # a different draft with the same name
    rep = import_archive(other, out)
    assert [e.name for e in rep.added] == ["基准", "加一成 (2)"] and rep.renamed == {"加一成": "加一成 (2)"}
    assert other.find("加一成 (2)").notes == "草稿" and other.find("基准").author == "甲"
    again = import_archive(other, out)  # importing twice adds nothing
    assert again.added == [] and again.skipped == ["基准", "加一成"]
    assert len(other.entries()) == 3


def _zip(members: dict[str, bytes], index: dict | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
        if index is not None:
            z.writestr(INDEX, json.dumps(index))
    return buf.getvalue()


def _index(*files: str) -> dict:
    return {"format": "budgetsim-library", "format_version": 1,
            "entries": [{"file": f, "name": f"n{i}"} for i, f in enumerate(files)]}


GOOD = b"extends: baseline\nbudget:\n  base_amount_wan: 61000\n"


@pytest.mark.parametrize("data, match", [
    (_zip({"../evil.yaml": GOOD}, _index("../evil.yaml")), "climb out"),
    (_zip({"/etc/evil.yaml": GOOD}, _index("/etc/evil.yaml")), "climb out"),
    (_zip({"C:/evil.yaml": GOOD}, _index("C:/evil.yaml")), "climb out"),
    (_zip({"scenarios/big.yaml": b"#" * 3_000_000}, _index("scenarios/big.yaml")), "larger than the limit"),
    (b"PK\x03\x04 not really a zip", "not a zip archive"),
    (_zip({"scenarios/a.yaml": GOOD}), "no index.json"),
    (_zip({"scenarios/a.yaml": GOOD}, {"format": "something else"}), "not a budgetsim library index"),
])
def test_hostile_or_broken_archives_are_refused(tmp_path, data, match):
    lib = Library(tmp_path / "lib.sqlite3")
    with pytest.raises(LibraryError, match=match):
        import_archive(lib, data)
    assert lib.entries() == []


def test_an_archive_with_bad_scenarios_lists_every_problem_and_imports_nothing(tmp_path):
    data = _zip({"scenarios/a.yaml": GOOD, "scenarios/b.yaml": b"extends: baseline\nbudget:\n  base_amount_wan: -5\n",
                 "scenarios/c.yaml": b"extends: nowhere\n"},
                _index("scenarios/a.yaml", "scenarios/b.yaml", "scenarios/c.yaml", "scenarios/missing.yaml"))
    lib = Library(tmp_path / "lib.sqlite3")
    with pytest.raises(LibraryError) as err:
        import_archive(lib, data)
    msg = str(err.value)
    assert "3 problems; nothing was imported" in msg
    assert "scenarios/b.yaml" in msg and "budget.base_amount_wan" in msg
    assert "scenarios/c.yaml" in msg and "unknown base scenario" in msg
    assert "'scenarios/missing.yaml' is not a scenario file of this archive" in msg
    assert lib.entries() == []
    assert [e.name for e in import_archive(lib, _zip({"scenarios/a.yaml": GOOD}, _index("scenarios/a.yaml"))).added] \
        == ["n0"]


def test_archive_bytes_matches_the_file(tmp_path, baseline_result):
    lib = Library(tmp_path / "lib.sqlite3")
    lib.save_result(baseline_result, "x")
    with zipfile.ZipFile(io.BytesIO(archive_bytes(lib.entries()))) as z:
        assert sorted(z.namelist()) == ["index.json", "scenarios/001_x.yaml"]


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "budgetsim.cli", *args], capture_output=True, text=True, check=False,
                          env=os.environ | {"PYTHONPATH": str(ROOT)} | (env or {}), cwd=ROOT, timeout=120)


def test_cli_list_show_export_import(tmp_path, plus10):
    src = tmp_path / "src.sqlite3"
    Library(src).save_result(plus10, "预算加一成", author="王科长", notes="给局长看")
    r = _cli("library", "list", env={"BUDGETSIM_LIBRARY": str(src)})  # the env var picks the file
    assert r.returncode == 0, r.stderr
    assert "预算加一成" in r.stdout and "王科长" in r.stdout and "已固定" in r.stdout
    assert f"绩效指数 {plus10.performance:.2f}" in r.stdout
    r = _cli("library", "--library", str(src), "show", "预算加一成", "--format", "yaml")
    assert r.returncode == 0 and r.stdout.startswith("# budgetsim scenario diff")
    (tmp_path / "p.yaml").write_text(r.stdout, encoding="utf-8")
    assert bs.solve(bs.load_scenario(tmp_path / "p.yaml")).performance == pytest.approx(plus10.performance)
    r = _cli("library", "--library", str(src), "export", "--out", str(tmp_path / "x.zip"))
    assert r.returncode == 0 and "1 scenario" in r.stderr
    dst = tmp_path / "dst.sqlite3"
    r = _cli("library", "--library", str(dst), "import", str(tmp_path / "x.zip"))
    assert r.returncode == 0 and "imported 1" in r.stderr
    r = _cli("library", "--library", str(dst), "list", "--format", "json")
    got = json.loads(r.stdout)
    assert [(g["name"], g["author"], g["notes"]) for g in got] == [("预算加一成", "王科长", "给局长看")]


def test_cli_bad_library_or_entry_exits_2_with_one_clear_line(tmp_path):
    bad = tmp_path / "bad.sqlite3"
    bad.write_text("not a database", encoding="utf-8")
    r = _cli("library", "--library", str(bad), "list")
    assert r.returncode == 2 and "not a budgetsim library" in r.stderr and "Traceback" not in r.stderr
    assert bad.read_text(encoding="utf-8") == "not a database"
    r = _cli("library", "--library", str(tmp_path / "ok.sqlite3"), "show", "nope")
    assert r.returncode == 2 and "no entry named or numbered 'nope'" in r.stderr
    evil = tmp_path / "evil.zip"
    evil.write_bytes(_zip({"../x.yaml": GOOD}, _index("../x.yaml")))
    r = _cli("library", "--library", str(tmp_path / "ok.sqlite3"), "import", str(evil))
    assert r.returncode == 2 and "climb out" in r.stderr


def test_a_users_own_plan_is_kept_with_its_entry(tmp_path, baseline, baseline_result):
    from budgetsim.analysis.check import check

    x = baseline_result.status_quo_x * 1.01
    given = check(baseline, x, optimum=baseline_result).plan
    lib = Library(tmp_path / "lib.sqlite3")
    e = lib.save_result(given, "科技局草案", author="科技局")
    assert e.objective == "given" and e.headline["status"] == "given"
    assert e.headline["performance"] == pytest.approx(given.performance)
    back = Library(tmp_path / "lib.sqlite3").find("科技局草案")
    assert back.plan_array() == pytest.approx(x)
    with pytest.raises(LibraryError, match="question 'given' needs the plan"):
        lib.save("x", e.diff_yaml, objective="given")
    with pytest.raises(LibraryError, match="does not fit the scenario"):
        store.plan_array(back.plan | {"channels": back.plan["channels"][:-1] + [["nope", "none"]]}, baseline)
    other = Library(tmp_path / "other.sqlite3")  # through an archive, the plan comes along
    assert import_archive(other, archive_bytes([back])).added[0].plan_array() == pytest.approx(x)
    bad = json.loads(zipfile.ZipFile(io.BytesIO(archive_bytes([back]))).read(INDEX))
    bad["entries"][0]["plan"]["amounts_wan"][0][0] = -1
    data = _zip({bad["entries"][0]["file"]: back.diff_yaml.encode()}, bad)
    with pytest.raises(LibraryError, match=r"entries\[0\]\.plan: amounts must be finite numbers ≥ 0"):
        import_archive(Library(tmp_path / "third.sqlite3"), data)
