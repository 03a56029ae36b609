"""Known CRM export column names, mapped to canonical columns.

A preset only renames columns that are present, so one preset serves both the
API-name export (``StageName``) and the report-label export (``Stage``).
Explicit ``columns:`` in data.yaml win over the preset.
"""

from __future__ import annotations

from revops_nb.errors import ConfigError

_SALESFORCE: dict[str, dict[str, str]] = {
    "opportunities": {
        "Id": "opportunity_id",
        "Opportunity ID": "opportunity_id",
        "AccountId": "account_id",
        "Account ID": "account_id",
        "Owner.Name": "owner",
        "OwnerName": "owner",
        "Opportunity Owner": "owner",
        "Product__c": "product",
        "Product Name": "product",
        "StageName": "stage",
        "Stage": "stage",
        "Amount": "amount",
        "CurrencyIsoCode": "currency",
        "Opportunity Currency": "currency",
        "CreatedDate": "created_date",
        "Created Date": "created_date",
        "CloseDate": "close_date",
        "Close Date": "close_date",
        "IsClosed": "is_closed",
        "Closed": "is_closed",
        "IsWon": "is_won",
        "Won": "is_won",
        "Loss_Reason__c": "loss_reason",
        "Loss Reason": "loss_reason",
        "Competitor__c": "competitor",
        "Primary Competitor": "competitor",
        "LeadSource": "lead_source",
        "Lead Source": "lead_source",
        "Decision_Makers__c": "decision_makers",
        "Type": "opportunity_type",
        "Region__c": "region",
        "Segment__c": "segment",
    },
    "accounts": {
        "Id": "account_id",
        "Account ID": "account_id",
        "Name": "account_name",
        "Account Name": "account_name",
        "Region__c": "region",
        "BillingCountry": "country",
        "Billing Country": "country",
        "Segment__c": "segment",
        "Industry": "industry",
        "NumberOfEmployees": "employees",
        "Employees": "employees",
        "CreatedDate": "created_date",
        "Created Date": "created_date",
    },
    # Case: CaseNumber, not Id, is the ticket id (API exports carry both; two would clash)
    "support_tickets": {
        "CaseNumber": "ticket_id",
        "Case Number": "ticket_id",
        "AccountId": "account_id",
        "Account ID": "account_id",
        "CreatedDate": "created_date",
        "Date/Time Opened": "created_date",
        "Opened Date": "created_date",
        "ClosedDate": "closed_date",
        "Date/Time Closed": "closed_date",
        "Closed Date": "closed_date",
        "Priority": "priority",
        "CSAT__c": "satisfaction",
    },
    # OpportunityHistory: one row per stage change (CreatedDate = when the deal entered StageName)
    "opportunity_stages": {
        "OpportunityId": "opportunity_id",
        "Opportunity ID": "opportunity_id",
        "StageName": "stage",
        "Stage": "stage",
        "To Stage": "stage",
        "CreatedDate": "entered_date",
        "Created Date": "entered_date",
        "Last Modified": "entered_date",
    },
    # Lead: MQL/SQL dates are the usual custom fields; ConvertedOpportunityId links the opportunity
    "leads": {
        "Id": "lead_id",
        "Lead ID": "lead_id",
        "CreatedDate": "created_date",
        "Create Date": "created_date",
        "LeadSource": "source",
        "Lead Source": "source",
        "MQL_Date__c": "mql_date",
        "MQL Date": "mql_date",
        "SQL_Date__c": "sql_date",
        "SQL Date": "sql_date",
        "ConvertedOpportunityId": "opportunity_id",
        "Converted Opportunity ID": "opportunity_id",
    },
    # Campaign: actual cost by campaign type and start date (the report sums it per period and channel)
    "marketing_spend": {
        "StartDate": "period",
        "Start Date": "period",
        "Type": "channel",
        "Campaign Type": "channel",
        "ActualCost": "spend",
        "Actual Cost in Campaign": "spend",
        "CurrencyIsoCode": "currency",
    },
    # ForecastingQuota: one quota per period start
    "targets": {
        "StartDate": "period",
        "Start Date": "period",
        "QuotaAmount": "target",
        "Quota Amount": "target",
    },
}

_HUBSPOT: dict[str, dict[str, str]] = {
    "opportunities": {
        "Record ID": "opportunity_id",
        "Deal ID": "opportunity_id",
        "Associated Company ID": "account_id",
        "Associated Company IDs": "account_id",
        "Company ID": "account_id",
        "Deal owner": "owner",
        "Deal Owner": "owner",
        "Product": "product",
        "Deal Stage": "stage",
        "Amount": "amount",
        "Currency": "currency",
        "Deal currency code": "currency",
        "Create Date": "created_date",
        "Close Date": "close_date",
        "Is Closed": "is_closed",
        "Is Closed Won": "is_won",
        "Closed Lost Reason": "loss_reason",
        "Competitor": "competitor",
        "Original Source": "lead_source",
        "Original Traffic Source": "lead_source",
        "Deal Type": "opportunity_type",
        "Number of Decision Makers": "decision_makers",
    },
    "accounts": {
        "Record ID": "account_id",
        "Company ID": "account_id",
        "Company name": "account_name",
        "Company Name": "account_name",
        "Country/Region": "country",
        "Industry": "industry",
        "Number of Employees": "employees",
        "Create Date": "created_date",
        "Region": "region",
        "Segment": "segment",
    },
    # tickets: internal property names (API) and export labels; time_to_close (ms) is not mapped,
    # resolution time comes from closed_date - created_date instead
    "support_tickets": {
        "hs_object_id": "ticket_id",
        "Ticket ID": "ticket_id",
        "Record ID": "ticket_id",
        "Associated Company ID": "account_id",
        "Associated Company IDs": "account_id",
        "Company ID": "account_id",
        "createdate": "created_date",
        "Create date": "created_date",
        "Create Date": "created_date",
        "closed_date": "closed_date",
        "Close date": "closed_date",
        "Close Date": "closed_date",
        "hs_ticket_priority": "priority",
        "Priority": "priority",
    },
    # deal stage history: one row per change of the dealstage property (property-history export)
    "opportunity_stages": {
        "Deal ID": "opportunity_id",
        "Record ID": "opportunity_id",
        "dealId": "opportunity_id",
        "Deal Stage": "stage",
        "dealstage": "stage",
        "Date entered stage": "entered_date",
        "Change date": "entered_date",
        "timestamp": "entered_date",
    },
    # contacts with their lifecycle-stage dates
    "leads": {
        "Record ID": "lead_id",
        "Contact ID": "lead_id",
        "hs_object_id": "lead_id",
        "Create Date": "created_date",
        "createdate": "created_date",
        "Original Source": "source",
        "hs_analytics_source": "source",
        "Became a Marketing Qualified Lead Date": "mql_date",
        "hs_lifecyclestage_marketingqualifiedlead_date": "mql_date",
        "Became a Sales Qualified Lead Date": "sql_date",
        "hs_lifecyclestage_salesqualifiedlead_date": "sql_date",
        "Associated Deal ID": "opportunity_id",
        "Associated Deal IDs": "opportunity_id",
    },
}

PRESETS: dict[str, dict[str, dict[str, str]]] = {"salesforce": _SALESFORCE, "hubspot": _HUBSPOT}


def preset_columns(preset: str, table: str, where: str) -> dict[str, str]:
    """Source -> canonical renames of ``preset`` for ``table`` (empty when it has none)."""
    key = preset.strip().lower()
    if key not in PRESETS:
        raise ConfigError(f"{where}: unknown preset {preset!r}; known presets are {', '.join(PRESETS)}")
    return dict(PRESETS[key].get(table, {}))
