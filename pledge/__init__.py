"""Pledge financing: eligibility pre-checks, pledge and loan lifecycles, collateral monitoring,
risk and statistics. Pure logic on ``models`` types; nothing here touches HTTP or a database."""
