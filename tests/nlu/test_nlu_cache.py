"""The embedded model cache: reused when warm (without scikit-learn), rebuilt when the data change."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from nlu.embedded import EmbeddedBackend, load_models, model_key
from nlu.training_data import DATA_DIR

ROOT = Path(__file__).resolve().parents[2]


def test_cache_is_invalidated_when_the_data_change(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    cache = tmp_path / "cache"
    key = model_key(data)
    load_models(data, cache)
    assert sorted(p.name for p in cache.iterdir()) == [f"embedded-{key}.json", f"embedded-{key}.npz"]
    backend = EmbeddedBackend.load(data_dir=data, cache_dir=cache)
    assert backend.parse_sync("yoyoyo la team").intent.name != "thanks"

    # A new example changes the key: the next load trains again and replaces the old files.
    with (data / "conversation.yml").open("a", encoding="utf-8") as f:
        f.write("- intent: thanks\n  examples: |\n    - yoyoyo la team\n")
    new_key = model_key(data)
    assert new_key != key
    backend = EmbeddedBackend.load(data_dir=data, cache_dir=cache)
    assert backend.parse_sync("yoyoyo la team").intent.name == "thanks"
    assert sorted(p.name for p in cache.iterdir()) == [f"embedded-{new_key}.json", f"embedded-{new_key}.npz"]


def test_a_warm_start_does_not_import_scikit_learn(tmp_path: Path) -> None:
    load_models(DATA_DIR, tmp_path)  # warm the cache
    code = (
        "import sys; from pathlib import Path; from nlu import load_backend; "
        f"b = load_backend(cache_dir=Path({str(tmp_path)!r})); "
        "r = b.parse_sync('jcherche un taf a asnieres'); "
        "print(r.intent.name, 'sklearn' in sys.modules, 'scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["find_job", "False", "False"]


def test_exported_model_matches_scikit_learn(embedded: EmbeddedBackend) -> None:
    # The numpy inference must give the probabilities scikit-learn gives on the same features.
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from nlu import classifier
    from nlu.normalise import normalise
    from nlu.training_data import load_training_data

    data = load_training_data()
    texts = [normalise(e.text) for e in data.examples]
    vectorizer = TfidfVectorizer(analyzer=classifier.features, sublinear_tf=True, norm="l2")
    x = vectorizer.fit_transform(texts)
    clf = LogisticRegression(C=classifier.C, max_iter=5000).fit(x, [e.intent for e in data.examples])
    for text in ["jcherche un taf a asnieres", "rdv dem1", "je veux mourir", "wesh", "zzz qqq"]:
        norm = normalise(text)
        expected = dict(zip(clf.classes_, clf.predict_proba(vectorizer.transform([norm]))[0], strict=True))
        for name, p in embedded.model.predict(norm):
            assert abs(p - expected[name]) < 1e-3, (text, name)
