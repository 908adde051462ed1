"""Issue, rotate, revoke and list the API tokens of the departments that query recipient status.

manage.py issue_department_token medical_insurance --region 3401
    registers 医疗保障局 with its preset entitlements if it is new, issues a token and prints it
    (once: only its SHA-256 is stored);
manage.py issue_department_token housing --region 340104 --name 蜀山区住建局 --tiers dibao,tekun
manage.py issue_department_token medical_insurance --rotate      new token, every old one revoked
manage.py issue_department_token --revoke 1a2b3c4d --reason "泄露"
manage.py issue_department_token --list
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import Region, User
from oversight import departments as svc
from oversight.models import DepartmentClient, DepartmentToken


class Command(BaseCommand):
    help = "签发/轮换/吊销部门数据共享接口令牌(令牌只显示一次)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", nargs="?", help="部门代码，如 medical_insurance / education / housing")
        parser.add_argument("--region", help="新登记部门的查询范围：3401(全市)或县区代码")
        parser.add_argument("--name", default="", help="新登记部门的名称")
        parser.add_argument("--tiers", default="", help="新登记部门可查询的类别，逗号分隔(tekun,dibao,...)")
        parser.add_argument("--amount", action="store_true", help="新登记部门可获知月救助金")
        parser.add_argument("--no-since", action="store_true", help="新登记部门不可获知起始月份")
        parser.add_argument("--label", default="", help="令牌用途说明")
        parser.add_argument("--expires-days", type=int, default=None, help="令牌有效天数(默认长期有效)")
        parser.add_argument("--rotate", action="store_true", help="签发新令牌并吊销该部门所有旧令牌")
        parser.add_argument("--revoke", metavar="PREFIX", help="吊销指定前缀的令牌")
        parser.add_argument("--reason", default="", help="吊销原因")
        parser.add_argument("--actor", default="", help="记入审计日志的管理员用户名")
        parser.add_argument("--list", action="store_true", help="列出部门及其令牌(不含密钥)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options["actor"])
        if options["list"]:
            self._list()
            return
        if options["revoke"]:
            token = DepartmentToken.objects.select_related("client").filter(prefix=options["revoke"]).first()
            if token is None:
                raise CommandError(f"没有前缀为 {options['revoke']} 的令牌。")
            svc.department_token_revoke(token=token, actor=actor, reason=options["reason"])
            self.stdout.write(f"已吊销 {token.client.name} 的令牌 {token.prefix}。")
            return
        code = options["code"]
        if not code:
            raise CommandError("请给出部门代码，或使用 --list / --revoke。")
        client = DepartmentClient.objects.filter(code=code).first()
        if client is None:
            client = self._create(code, actor, options)
        if not client.is_active:
            raise CommandError(f"{client} 已停用，不能签发令牌。")
        expires = None
        if options["expires_days"]:
            expires = timezone.now() + dt.timedelta(days=options["expires_days"])
        token, raw = svc.department_token_issue(
            client=client, actor=actor, label=options["label"], expires_at=expires, revoke_others=options["rotate"]
        )
        self.stdout.write(f"{client.name}({client.code}) 范围 {client.region_id} 类别 {','.join(client.allowed_tiers)}")
        self.stdout.write("令牌(只显示这一次，请安全交付部门)：")
        self.stdout.write(raw)
        self.stdout.write(f"请求头：Authorization: Department {raw}")

    def _actor(self, username: str) -> User | None:
        if not username:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有用户 {username}。")
        return user

    def _create(self, code: str, actor: User | None, options: dict[str, Any]) -> DepartmentClient:
        if not options["region"]:
            raise CommandError("新部门须给出 --region(3401 全市或县区代码)。")
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"没有区划 {options['region']}。")
        tiers = [t.strip() for t in options["tiers"].split(",") if t.strip()] or None
        try:
            client = svc.department_client_create(
                code=code,
                region=region,
                actor=actor,
                name=options["name"],
                allowed_tiers=tiers,
                may_see_since=not options["no_since"],
                may_see_amount=options["amount"],
            )
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self.stdout.write(f"已登记部门 {client}。")
        return client

    def _list(self) -> None:
        for client in DepartmentClient.objects.select_related("region").prefetch_related("tokens"):
            state = "启用" if client.is_active else "停用"
            self.stdout.write(
                f"{client.code}\t{client.name}\t{client.region_id}\t{','.join(client.allowed_tiers)}"
                f"\tsince={client.may_see_since} amount={client.may_see_amount}\t{state}"
            )
            for token in client.tokens.all():
                status = "可用" if token.is_usable else "已吊销/过期"
                self.stdout.write(f"    {token.prefix}\t{token.created_at:%Y-%m-%d}\t{status}\t{token.label}")
