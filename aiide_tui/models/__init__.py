"""Model files aiide installs and finds: the registry (as data), where files live, the installer.

Nothing here loads a model; `aiide_tui.llm.local_server` serves GGUF files and
`aiide_tui.llm.onnx_embedder` runs the embedder.
"""
