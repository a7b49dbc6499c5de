"""Running the book: named profiles, the chapter runner (papermill), claim records and verdicts, paper-scale
bundles and the committed stash of expensive results. The top layer: imports any layer below."""
