"""Reading untrusted files (budgetsim.scenario.reading) and the `extends:` sandbox (scenario.loading)."""

from __future__ import annotations

import codecs
import time
import tracemalloc

import pytest

import budgetsim as bs
from budgetsim.exceptions import Problem, short_repr
from budgetsim.scenario.reading import MAX_DEPTH, MAX_FILE_BYTES, decode, parse_yaml, read_text

VARIANT = "extends: baseline\ntitle: {zh: 基础研究加码（扬州，示例）, en: Basic research push}\n" \
          "budget:\n  base_amount_wan: 66000\n"


# ----------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding, name", [("gbk", "GB18030"), ("gb18030", "GB18030"), ("utf-16", "UTF-16"),
                                            ("utf-16-le", "UTF-16 LE"), ("utf-16-be", "UTF-16 BE")])
def test_chinese_office_encodings_are_read_with_a_notice(tmp_path, encoding, name):
    f = tmp_path / "variant.yaml"
    f.write_bytes(VARIANT.encode(encoding))
    s = bs.load_scenario(f)
    assert s.title("zh") == "基础研究加码（扬州，示例）"
    assert s.spec.budget.base_amount_wan == 66000
    assert len(s.notices) == 1 and name in s.notices[0] and "UTF-8" in s.notices[0]


@pytest.mark.parametrize("data", [VARIANT.encode("utf-8"), codecs.BOM_UTF8 + VARIANT.encode("utf-8")])
def test_utf8_with_or_without_bom_is_read_silently(tmp_path, data):
    f = tmp_path / "variant.yaml"
    f.write_bytes(data)
    s = bs.load_scenario(f)
    assert s.title("zh").startswith("基础研究") and s.notices == ()


def test_other_bytes_are_refused_with_how_to_convert(tmp_path):
    f = tmp_path / "latin1.yaml"
    f.write_bytes("extends: baseline\ntitle: {zh: café, en: x}\n".encode("latin-1"))
    with pytest.raises(bs.ScenarioError, match="not text in UTF-8, UTF-16 or GB18030/GBK: save the file as UTF-8"):
        bs.load_scenario(f)


def test_decode_gives_text_and_the_encoding_used():
    tf = decode("类别,金额\n基础前沿类,100\n".encode("gbk"), "plan.csv")
    assert tf.text.startswith("类别") and tf.encoding == "gb18030" and "plan.csv" in tf.notice
    assert decode(b"a,b\n").encoding == "utf-8" and decode(b"a,b\n").notice is None


# ----------------------------------------------------------------- size, depth, aliases


def test_a_large_file_is_refused_before_it_is_read(tmp_path):
    f = tmp_path / "big.yaml"
    with open(f, "wb") as fh:  # 50 MB, sparse
        fh.truncate(50_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(bs.ScenarioError, match=r"file too large: 50,000,000 bytes; at most 1,000,000"):
            bs.load_scenario(f)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # nothing like the 50 MB was read


def test_read_text_never_reads_more_than_the_cap(tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes(b"a" * 2000)
    with pytest.raises(bs.ScenarioError, match="file too large"):
        read_text(f, max_bytes=1000)
    assert read_text(f, max_bytes=2000).text == "a" * 2000


def test_only_regular_files_are_read(tmp_path):
    with pytest.raises(bs.ScenarioError, match="not a regular file"):
        read_text(tmp_path)
    with pytest.raises(bs.ScenarioNotFoundError, match="file not found"):
        read_text(tmp_path / "nope.csv")


@pytest.mark.parametrize("text", ["a: " + "[" * 600 + "]" * 600,
                                  "".join("  " * i + f"k{i}:\n" for i in range(600)) + "  " * 600 + "v: 1\n"])
def test_deep_nesting_is_refused_not_a_recursion_error(text):
    with pytest.raises(bs.ScenarioError, match=f"nested more than {MAX_DEPTH} levels deep"):
        parse_yaml(text, "deep.yaml")


def _bomb(target: str) -> str:
    lines = ["extends: baseline", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\n" + target + "\n"


@pytest.mark.parametrize("target", ["title: {zh: *a9, en: x}", "plan: {years: *a9}"])
def test_an_alias_bomb_is_refused_at_once(target):
    t0 = time.perf_counter()
    with pytest.raises(bs.ScenarioError, match="once its aliases"):
        bs.load_scenario_text(_bomb(target))
    assert time.perf_counter() - t0 < 2


def test_a_few_aliases_are_fine():
    doc = parse_yaml("c: &c {curve: log, coef: 5, scale: 100}\nd: *c\ne: *c\n", "x")
    assert doc["d"] == doc["e"] == {"curve": "log", "coef": 5, "scale": 100}


@pytest.mark.parametrize("text, needle", [
    ("a: " + "9" * 5000, "a number too long"),
    ("? [1, 2]\n: x\n", "a key must be a name or a number"),
    ("a: 1\na: 2\n", "duplicate key 'a'"),
    ("a: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
])
def test_odd_yaml_is_a_scenario_error(text, needle):
    with pytest.raises(bs.ScenarioError, match=needle):
        parse_yaml(text, "odd.yaml")


def test_exponent_without_a_dot_is_a_number():
    assert parse_yaml("a: 1e20\nb: 12\n", "x") == {"a": 1e20, "b": 12}


# ----------------------------------------------------------------- values in messages


def test_values_are_cut_before_they_are_rendered():
    nested: list = ["x"] * 10
    for _ in range(9):
        nested = [nested] * 10  # 10**10 leaves: a full repr would never finish
    t0 = time.perf_counter()
    text = str(Problem("title.zh", nested, "must be text"))
    assert time.perf_counter() - t0 < 0.1 and len(text) < 140
    assert "..." in short_repr("x" * 10_000_000) and len(short_repr("x" * 10_000_000)) <= 80
    assert short_repr(10 ** 5000) == "<a number of about 5,000 digits>"
    assert short_repr(float("inf")) == "inf"


# ----------------------------------------------------------------- the extends sandbox

SECRET = "token: s3cr3t-value\nsecret_key: 42\n"


@pytest.mark.parametrize("target", ["{secret}", "../{name}", "../../x", "/etc/hostname", "sub/{name}",
                                    "..", "C:{name}"])
def test_extends_is_refused_outside_the_sandbox_and_echoes_nothing(tmp_path, target):
    secret = tmp_path / "secret.yaml"
    secret.write_text(SECRET)
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "sub" / "secret.yaml").write_text(SECRET)
    f = work / "variant.yaml"
    f.write_text(f"extends: {target.format(secret=secret, name='secret.yaml')}\n")
    for load in (lambda: bs.load_scenario(f), lambda: bs.load_scenario_text(f.read_text()),
                 lambda: bs.load_scenario_text(f.read_text(), uploads={"secret": SECRET})):
        with pytest.raises(bs.ScenarioError) as info:
            load()
        text = str(info.value)
        assert "extends" in text
        assert "s3cr3t" not in text and "secret_key" not in text and "token" not in text


def test_extends_reaches_the_files_own_folder_and_bundled_scenarios(tmp_path):
    (tmp_path / "mine.yaml").write_text("extends: baseline\nbudget:\n  base_amount_wan: 61000\n")
    f = tmp_path / "variant.yaml"
    f.write_text("extends: mine\nbudget:\n  growth_rate: 0.06\n")
    s = bs.load_scenario(f)
    assert s.spec.budget.base_amount_wan == 61000 and s.spec.budget.growth_rate == 0.06


def test_extends_does_not_follow_a_link_out_of_the_folder(tmp_path):
    (tmp_path / "outside.yaml").write_text(SECRET)
    work = tmp_path / "work"
    work.mkdir()
    (work / "base.yaml").symlink_to(tmp_path / "outside.yaml")
    f = work / "variant.yaml"
    f.write_text("extends: base\n")
    with pytest.raises(bs.ScenarioNotFoundError) as info:
        bs.load_scenario(f)
    assert "s3cr3t" not in str(info.value)


def test_pasted_text_extends_bundled_and_the_sessions_own_uploads():
    mine = "extends: baseline\nbudget:\n  base_amount_wan: 62000\n"
    s = bs.load_scenario_text("extends: mine\nbudget:\n  growth_rate: 0.07\n", uploads={"mine.yaml": mine})
    assert s.spec.budget.base_amount_wan == 62000 and s.spec.budget.growth_rate == 0.07
    with pytest.raises(bs.ScenarioNotFoundError, match="unknown base scenario"):
        bs.load_scenario_text("extends: mine\n")  # not uploaded in this session
    with pytest.raises(bs.ScenarioError, match="loops back"):
        bs.load_scenario_text("extends: a\n", uploads={"a": "extends: b\n", "b": "extends: a\n"})


def test_upload_size_is_checked_on_text_too():
    with pytest.raises(bs.ScenarioError, match="larger than"):
        bs.load_scenario_text("a: " + "x" * (MAX_FILE_BYTES + 10))
