"""The product catalog: importing shops' files (`importer`) and searching it (`search`)."""
