"""Chat: context assembly, prompt layout, stream parsing, edit formats, proposals, history.

A domain package: it never imports the UI or the services layer. The chat
service (`aiide_tui.services.chat_service`) puts these stages together.
"""
