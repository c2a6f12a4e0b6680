"""The supplier-name rules measured on labelled names, through the real dbt project on a temporary DuckDB."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.names import evaluate
from pipelines.names.evaluate import Evaluation, LabelledNamesError, evaluate_file, read_labelled_names, score

DATA_DIR = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def labelled_evaluation() -> Evaluation:
    return evaluate_file(DATA_DIR / "labelled_names.csv")


@pytest.fixture(scope="module")
def hard_case_evaluation() -> Evaluation:
    return evaluate_file(DATA_DIR / "hard_names.csv")


def test_labelled_names_never_merge_wrongly(labelled_evaluation: Evaluation) -> None:
    assert labelled_evaluation.wrong_merges == []
    assert labelled_evaluation.precision == 1.0


def test_labelled_names_recall(labelled_evaluation: Evaluation) -> None:
    assert labelled_evaluation.recall >= 0.85, evaluate.format_report(labelled_evaluation)


def test_labelled_names_keep_every_spelling(labelled_evaluation: Evaluation) -> None:
    keys = labelled_evaluation.supplier_keys
    assert labelled_evaluation.name_count == 124
    assert keys["Hoekstra\u00a0Kunststoffen B.V."] == keys["Hoekstra Kunststoffen B.V."]
    assert keys["Lefebvre Emballages"] != keys["Lefevre Emballages"]
    assert keys["Drukkerij Verhaegen NV"] != keys["Drukkerij Verhaeghe BV"]
    assert keys["Hoekstra Kunststoffen Holding B.V."] != keys["Hoekstra Kunststoffen B.V."]
    assert keys["AGB B.V."] != keys["AGV B.V."]


def test_hard_cases_precision_and_recall(hard_case_evaluation: Evaluation) -> None:
    assert hard_case_evaluation.wrong_merges == []
    assert hard_case_evaluation.missed_pairs == [], evaluate.format_report(hard_case_evaluation)


def test_hard_cases_look_alikes_stay_apart(hard_case_evaluation: Evaluation) -> None:
    keys = hard_case_evaluation.supplier_keys
    assert keys["Route 66 Logistics"] != keys["Route 67 Logistics"]
    assert keys["Müller Maschinenbau GmbH"] != keys["Möller Maschinenbau GmbH"]
    assert keys["Dupont Emballages SARL"] != keys["Dupond Emballages SARL"]
    assert keys["Jansen Transport"] != keys["Jansen Verpakkingen B.V."]
    assert keys["Bouwbedrijf Visser"] != keys["Bouwbedrijf Visser Holding B.V."]


def test_hard_cases_readable_keys(hard_case_evaluation: Evaluation) -> None:
    keys = hard_case_evaluation.supplier_keys
    assert keys["Kroon B.V., De"] == "name:de-kroon"
    assert keys["AG Systems AG"] == "name:ag-systems"
    assert keys["Groupe LefÃ¨vre S.A."] == "name:groupe-lefevre"
    assert keys["Straßenbau Weiß GmbH"] == "name:strassenbau-weiss"


def test_report_ends_with_scores(labelled_evaluation: Evaluation) -> None:
    last_line = evaluate.format_report(labelled_evaluation).splitlines()[-1]
    assert last_line.startswith("precision=1.0000 recall=")
    assert " f1=" in last_line


def test_read_keeps_names_byte_exact(tmp_path: Path) -> None:
    labelled = tmp_path / "names.csv"
    labelled.write_bytes(
        b'raw_name,true_supplier_key\r\n"Jansen BV ",jansen\r\n"Jansen\xc2\xa0BV",jansen\r\nJansen BV,jansen\r\n'
    )
    assert read_labelled_names(labelled) == {"Jansen BV ": "jansen", "Jansen\u00a0BV": "jansen", "Jansen BV": "jansen"}


def test_read_rejects_missing_column(tmp_path: Path) -> None:
    labelled = tmp_path / "names.csv"
    labelled.write_text("name,true_supplier_key\nJansen,jansen\n", encoding="utf-8")
    with pytest.raises(LabelledNamesError, match="raw_name"):
        read_labelled_names(labelled)


def test_read_rejects_conflicting_labels(tmp_path: Path) -> None:
    labelled = tmp_path / "names.csv"
    labelled.write_text("raw_name,true_supplier_key\nJansen,a\nJansen,b\n", encoding="utf-8")
    with pytest.raises(LabelledNamesError, match="labelled both"):
        read_labelled_names(labelled)


def test_main_rejects_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert evaluate.main([str(tmp_path / "absent.csv")]) == 2
    assert "absent.csv" in capsys.readouterr().err


def test_score_counts_pairs() -> None:
    labels = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "z"}
    predicted = {"a": "k1", "b": "k1", "c": "k1", "d": "k2", "e": "unknown"}
    result = score(labels, predicted)
    assert result.true_pair_count == 2
    assert result.predicted_pair_count == 3
    assert result.correct_pair_count == 1
    assert result.precision == pytest.approx(1 / 3)
    assert result.recall == pytest.approx(1 / 2)
    assert [(pair.first_name, pair.second_name) for pair in result.missed_pairs] == [("c", "d")]


def test_score_never_groups_unknown() -> None:
    result = score({"a": "x", "b": "y"}, {"a": "unknown", "b": "unknown"})
    assert result.predicted_pair_count == 0
    assert result.wrong_merges == []
