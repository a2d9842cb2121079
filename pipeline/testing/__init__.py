"""For tests and benchmarks only, never imported by the pipeline: :mod:`.models`
builds small but genuine Argos packages and CTranslate2 models (SentencePiece
trained on the fly, weights from numpy); :mod:`.gguf` writes tiny llama.cpp
models whose answers the test chooses, and :mod:`.llama` serves one with a real
llama.cpp server (llama-cpp-python's); :mod:`.llm` is a loopback
OpenAI-compatible server for what a real one cannot be made to do on demand;
:mod:`.pdfs` builds test PDFs; :mod:`.corpus` scores the layout repair against the
corpus's hand-made gold."""
