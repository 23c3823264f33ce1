/*
 * Bare-metal start-up for the RV32 link test: stack and global pointer,
 * copy .data, zero .bss, call main, then spin. The image is only linked.
 */
    .section .text.init, "ax"
    .global _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top
    la      t0, __data_load
    la      t1, __data_start
    la      t2, __data_end
1:  bgeu    t1, t2, 2f
    lw      t3, 0(t0)
    sw      t3, 0(t1)
    addi    t0, t0, 4
    addi    t1, t1, 4
    j       1b
2:  la      t1, __bss_start
    la      t2, __bss_end
3:  bgeu    t1, t2, 4f
    sw      zero, 0(t1)
    addi    t1, t1, 4
    j       3b
4:  call    main
5:  wfi
    j       5b

    .text
    .global nd_puts
nd_puts:
    ret
    .global nd_exit
nd_exit:
    wfi
    j       nd_exit
