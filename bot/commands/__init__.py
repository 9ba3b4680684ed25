"""The chat grammar and the one command table every entry point uses.

Here: the table (parse, help, dispatch), what an entry is, the word checks
parsers share and the name/ref alphabet. Features import this package to
declare their entries; it imports no feature, only ``bot.model`` and ``bot.text``.
"""
