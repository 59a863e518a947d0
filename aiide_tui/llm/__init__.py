"""Model providers behind one interface: Ollama and any OpenAI-compatible server.

Import the modules you need (`aiide_tui.llm.base`, `.registry`, `.templates`);
this package imports nothing heavy, so `aiide_tui.config` can use its roles
and the app paints before any client library loads.
"""
