// Progressive enhancement only: every feature works without this file.
