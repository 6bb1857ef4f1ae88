"""Closed sets of the domain."""

from __future__ import annotations

from enum import StrEnum


class PatentType(StrEnum):
    """The three kinds of Chinese patent right (专利类型)."""

    INVENTION = "invention"  # 发明
    UTILITY_MODEL = "utility_model"  # 实用新型
    DESIGN = "design"  # 外观设计


class LegalStatus(StrEnum):
    """Legal status of a patent or application."""

    PENDING = "pending"  # application not yet granted
    IN_FORCE = "in_force"  # granted and maintained
    LAPSED = "lapsed"  # terminated for an unpaid annual fee
    EXPIRED = "expired"  # term ended
    INVALIDATED = "invalidated"  # declared invalid (宣告无效)
    SURRENDERED = "surrendered"  # given up by the patentee
    WITHDRAWN = "withdrawn"  # application withdrawn or deemed withdrawn
    REJECTED = "rejected"  # application refused


class PartyKind(StrEnum):
    ENTERPRISE = "enterprise"
    BANK = "bank"
    GUARANTOR = "guarantor"
    INSURER = "insurer"
    GOVERNMENT_FUND = "government_fund"
    APPRAISAL_FIRM = "appraisal_firm"
    REGULATOR = "regulator"


class FeeReduction(StrEnum):
    """Annual-fee reductions (费减); the rates are data in ``models/rules/fee_reductions.csv``."""

    SINGLE = "single"
    JOINT = "joint"


class LicenceKind(StrEnum):
    EXCLUSIVE = "exclusive"  # 独占
    SOLE = "sole"  # 排他
    NON_EXCLUSIVE = "non_exclusive"  # 普通


class ValueType(StrEnum):
    """Value types of an appraisal report (价值类型)."""

    MARKET_VALUE = "market_value"  # 市场价值
    REALISABLE_VALUE = "realisable_value"  # 变现价值 / 清算价值


class PledgeStatus(StrEnum):
    """Registration lifecycle of a patent pledge (专利权质押登记)."""

    DRAFT = "draft"
    READY = "ready"
    PRECHECK_FAILED = "precheck_failed"
    SUBMITTED = "submitted"
    CORRECTION_REQUESTED = "correction_requested"
    REGISTERED = "registered"
    REFUSED = "refused"
    RELEASE_REQUESTED = "release_requested"
    IMPAIRED = "impaired"
    ENFORCING = "enforcing"
    REALISED = "realised"
    CANCELLED = "cancelled"


class LoanStatus(StrEnum):
    """Loan lifecycle, after the states of Apache Fineract."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    ACTIVE = "active"
    CLOSED = "closed"
    WRITTEN_OFF = "written_off"
    RESCHEDULED = "rescheduled"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class RescheduleStatus(StrEnum):
    """A request to reschedule a loan: asked for, then approved by another officer (the loan
    continues as its successor) or rejected."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class RepaymentMethod(StrEnum):
    EQUAL_INSTALMENTS = "equal_instalments"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金


class DayCount(StrEnum):
    ACT_365 = "act/365"
    THIRTY_360 = "30/360"


class Role(StrEnum):
    """What a user of the service may do (docs/DOMAIN.md §1): a bank's credit officer, an
    enterprise, a regulator (aggregates only), or an administrator of parties and credentials."""

    BANK = "bank"
    ENTERPRISE = "enterprise"
    REGULATOR = "regulator"
    ADMIN = "admin"
