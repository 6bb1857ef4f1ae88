"""Patent navigation (专利导航): regional patent statistics and pledge capacity, with polars.

Pure logic on ``models``, ``valuation`` and ``pledge``; nothing here touches HTTP or a database.
"""
