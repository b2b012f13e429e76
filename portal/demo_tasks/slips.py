"""Demo supervision slips in every state of their loop (issued, signed, answered, sent back,
closed), raised by the rules (with the causes the daily evaluation uses, so that it does not
raise them again) and issued by the supervisor, each told through the real services at moments
in the demo's past."""

from __future__ import annotations

from datetime import date, timedelta

from portal.accounts.models import User
from portal.accounts.services import find_user_by_email
from portal.core.extensions import db
from portal.demo_applications import DemoClock, DemoDocument
from portal.demo_tasks.tasks import Made
from portal.tasks import slips
from portal.tasks.models import SlipColour
from portal.tasks.slip_issue import issue_slip


def _evidence(name: str) -> list[slips.CheckedFile]:
    data, detected = DemoDocument.get()
    return [slips.CheckedFile(name, data, detected)]


def _day(clock: DemoClock, back: int) -> date:
    return max(clock.today - timedelta(days=back), date(clock.today.year, 1, 1))


def seed_slips(made: Made, clock: DemoClock, supervisor: User) -> int:
    today = clock.today
    tasks = {t.number: t for t in made.tasks}
    owner = {t.number: db_user(t.owner_id) for t in made.tasks}
    count = 0

    def rule_red(number: int) -> object:
        task = tasks[number]
        milestone = made.overdue[task.id]
        return issue_slip(
            task,
            SlipColour.RED,
            f"里程碑“{milestone.title}”应于{milestone.due_on.isoformat()}完成，目前尚未完成。",
            today + timedelta(days=4),
            requirements="请尽快完成该节点，并反馈完成情况及佐证材料。",
            cause_key=f"milestone:{milestone.id}",
            milestone=milestone,
        )

    # Task 2: red, raised yesterday by the rules, not yet signed for.
    clock.set(_day(clock, 1), "07:00")
    count += rule_red(2) is not None

    # Task 5: red, raised three days ago, signed for by the department.
    clock.set(_day(clock, 3), "07:00")
    slip = rule_red(5)
    clock.set(_day(clock, 3), "10:15")
    slips.sign(slip, owner[5])
    count += 1

    # Task 12: red, signed and answered, waiting for the supervisor's review.
    clock.set(_day(clock, 5), "07:00")
    slip = rule_red(12)
    clock.set(_day(clock, 5), "09:40")
    slips.sign(slip, owner[12])
    clock.set(_day(clock, 2), "17:20")
    slips.answer(
        slip,
        owner[12],
        "已逐户电话督促逾期企业，1家企业承诺本周内提交进展报告；同步建立报告提醒台账。",
        _evidence("督促情况说明.pdf"),
    )
    count += 1

    # Task 9: blue, a milestone due in three days, signed for.
    task = tasks[9]
    milestone = made.due_soon[task.id]
    clock.set(_day(clock, 0), "07:00")
    slip = issue_slip(
        task,
        SlipColour.BLUE,
        f"里程碑“{milestone.title}”将于{milestone.due_on.isoformat()}到期。",
        milestone.due_on,
        requirements="请确保按期完成，并反馈。",
        cause_key=f"near:{milestone.id}",
        milestone=milestone,
    )
    clock.set(_day(clock, 0), "08:50")
    slips.sign(slip, owner[9])
    count += 1

    # Task 1: yellow (an indicator behind), answered, sent back to answer again.
    task = tasks[1]
    raised = _day(clock, 9)
    clock.set(raised, "07:00")
    slip = issue_slip(
        task,
        SlipColour.YELLOW,
        "进度滞后：获得最终支持的企业数量低于序时进度。",
        today + timedelta(days=5),
        requirements="请说明追赶措施、时间节点，并附佐证材料。",
        cause_key=f"behind:{task.id}:{raised:%Y-%m}",
    )
    clock.set(_day(clock, 8), "11:00")
    slips.sign(slip, owner[1])
    clock.set(_day(clock, 6), "16:30")
    slips.answer(slip, owner[1], "正在组织专家评审。", _evidence("评审安排.pdf"))
    clock.set(_day(clock, 4), "10:00")
    slips.review(
        slip,
        supervisor,
        close=False,
        note="反馈过于简单：请写明评审时间、公示时间和资金下达的具体日期。",
    )
    count += 1

    # Task 3: issued by the supervisor: the money is not yet paid.
    clock.set(_day(clock, 2), "14:00")
    slips.issue_by_supervisor(
        tasks[3],
        supervisor,
        SlipColour.YELLOW,
        "研发投入后补助资金尚未拨付到企业，拨付进度明显滞后。",
        "请会同财政部门说明拨付计划，明确到企业的拨付时间。",
        today + timedelta(days=8),
    )
    count += 1

    # Task 10: red three months ago (a milestone late), answered and closed.
    task = tasks[10]
    late = made.late.get(task.id)
    if late is not None and late.due_on < today - timedelta(days=3):
        raised = late.due_on + timedelta(days=1)
        clock.set(raised, "07:00")
        slip = issue_slip(
            task,
            SlipColour.RED,
            f"里程碑“{late.title}”应于{late.due_on.isoformat()}完成，目前尚未完成。",
            raised + timedelta(days=5),
            requirements="请尽快完成该节点，并反馈完成情况及佐证材料。",
            cause_key=f"milestone:{late.id}",
            milestone=late,
        )
        if slip is not None:
            clock.set(raised, "09:30")
            slips.sign(slip, owner[10])
            answered = min(late.done_on or raised, today)
            clock.set(max(answered, raised), "15:00")
            slips.answer(
                slip, owner[10], "特派团已全部进驻，补齐了进驻手续。", _evidence("进驻情况.pdf")
            )
            clock.set(max(answered, raised), "17:30")
            slips.review(slip, supervisor, close=True, note="材料齐全，同意销号。")
            count += 1

    # Task 4: a blue slip from the supervisor before the payments, answered and closed.
    start = _day(clock, 40)
    clock.set(start, "10:00")
    slip = slips.issue_by_supervisor(
        tasks[4],
        supervisor,
        SlipColour.BLUE,
        "首笔资金拨付节点临近，请提前做好拨付准备。",
        "请确认银行账户、协议签订情况，按期拨付。",
        start + timedelta(days=10),
    )
    clock.set(start + timedelta(days=1), "09:00")
    slips.sign(slip, owner[4])
    clock.set(start + timedelta(days=6), "16:00")
    slips.answer(slip, owner[4], "协议和账户均已确认，已纳入本批拨付。", _evidence("拨付批次.pdf"))
    clock.set(start + timedelta(days=7), "10:00")
    slips.review(slip, supervisor, close=True, note="同意办结。")
    count += 1

    # Task 8: supervisor's yellow slip, sent back once, then closed.
    start = _day(clock, 30)
    clock.set(start, "10:00")
    slip = slips.issue_by_supervisor(
        tasks[8],
        supervisor,
        SlipColour.YELLOW,
        "技术合同登记数据与省平台统计口径不一致。",
        "请核对差异并说明原因。",
        start + timedelta(days=10),
    )
    clock.set(start + timedelta(days=1), "09:30")
    slips.sign(slip, owner[8])
    clock.set(start + timedelta(days=4), "15:00")
    slips.answer(slip, owner[8], "已核对。", _evidence("核对说明.pdf"))
    clock.set(start + timedelta(days=5), "10:00")
    slips.review(slip, supervisor, close=False, note="请列出差异合同的明细。")
    clock.set(start + timedelta(days=8), "15:00")
    slips.answer(
        slip,
        owner[8],
        "差异为3份跨年度合同，已按省平台口径调整并附明细。",
        _evidence("差异合同明细.pdf"),
    )
    clock.set(start + timedelta(days=9), "10:00")
    slips.review(slip, supervisor, close=True, note="已核实，同意销号。")
    count += 1
    return count


def db_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def supervisor_account() -> User | None:
    return find_user_by_email("supervisor@example.com")
