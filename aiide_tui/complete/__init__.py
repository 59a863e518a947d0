"""Fill-in-the-middle completion: the engine behind the editor's ghost text.

One module per stage, read in pipeline order:

    trigger -> cache -> debounce -> context -> prompt -> stream -> postprocess -> show

`engine.CompletionEngine` runs them; `request` holds what crosses the bus;
`snippets` feeds cross-file context from the index; `stats` keeps the local
figures that `aiide stats` prints. Nothing here imports the UI or services.
"""
