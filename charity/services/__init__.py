"""Charity writes, one module per feature (STYLE §1): each public function is one transaction.

- ``ledger``: posting balanced entries under the funds' row locks, and reversing entries;
- ``funds``: setting up a fund, donations, transfers between funds;
- ``handoffs``: the hand-off life cycle (refer, accept, decline, withdraw, close) and its one guard;
- ``grants``: approving a grant and paying it from the ledger (``fund_grant_pay``).
"""
