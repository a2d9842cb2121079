"""For tests and benchmarks only, never imported by the pipeline: :mod:`.models`
builds small but genuine Argos packages and CTranslate2 models (SentencePiece
trained on the fly, weights from numpy); :mod:`.llm` is a loopback
OpenAI-compatible server whose misbehaviour is chosen by the test; :mod:`.corpus`
scores the layout repair against the corpus's hand-made gold."""
