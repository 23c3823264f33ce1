/*
 * FreeRTOS configuration of the nanodtls FreeRTOS example.
 *
 * Written for the kernel's POSIX port (portable/ThirdParty/GCC/Posix),
 * where every task is a host thread, but nothing in it is specific to that
 * port: the stack sizes are those a Cortex-M build needs (the POSIX port
 * runs each task on its own host thread stack and keeps only its
 * bookkeeping in the task's stack buffer).
 *
 * Memory: static allocation only (no FreeRTOS heap at all); the
 * nanodtls context is a static object owned by the DTLS task.
 */
#ifndef FREERTOS_CONFIG_H
#define FREERTOS_CONFIG_H

/* Scheduling. */
#define configUSE_PREEMPTION 1
#define configUSE_TIME_SLICING 1
#define configUSE_PORT_OPTIMISED_TASK_SELECTION 0
#define configUSE_TICKLESS_IDLE 0
#define configCPU_CLOCK_HZ 1000000UL
#define configTICK_RATE_HZ 1000 /* 1 tick = 1 ms: the DTLS clock */
#define configMAX_PRIORITIES 5
#define configMAX_TASK_NAME_LEN 16
#define configTICK_TYPE_WIDTH_IN_BITS TICK_TYPE_WIDTH_32_BITS
#define configIDLE_SHOULD_YIELD 1
#define configNUMBER_OF_CORES 1

/* Stacks are in words (StackType_t). */
#define configMINIMAL_STACK_SIZE ((unsigned short)(1024 / sizeof(StackType_t)))
#define configSTACK_DEPTH_TYPE uint32_t

/* Memory: static only. */
#define configSUPPORT_STATIC_ALLOCATION 1
#define configSUPPORT_DYNAMIC_ALLOCATION 0
#define configKERNEL_PROVIDED_STATIC_MEMORY 0 /* we provide the idle task's memory */
#define configAPPLICATION_ALLOCATED_HEAP 0

/* Features not needed by the example. */
#define configUSE_TIMERS 0
#define configUSE_MUTEXES 0
#define configUSE_RECURSIVE_MUTEXES 0
#define configUSE_COUNTING_SEMAPHORES 0
#define configUSE_QUEUE_SETS 0
#define configUSE_EVENT_GROUPS 0
#define configUSE_STREAM_BUFFERS 0
#define configUSE_TASK_NOTIFICATIONS 1
#define configUSE_CO_ROUTINES 0
#define configUSE_IDLE_HOOK 0
#define configUSE_TICK_HOOK 0
#define configUSE_MALLOC_FAILED_HOOK 0
#define configUSE_DAEMON_TASK_STARTUP_HOOK 0
#define configCHECK_FOR_STACK_OVERFLOW 0 /* not supported by the POSIX port */
#define configUSE_TRACE_FACILITY 0
#define configGENERATE_RUN_TIME_STATS 0
#define configQUEUE_REGISTRY_SIZE 0
#define configENABLE_BACKWARD_COMPATIBILITY 0
#define configUSE_NEWLIB_REENTRANT 0

/* API functions included. */
#define INCLUDE_vTaskDelay 1
/* 0: vTaskEndScheduler() then leaves the idle task alone. Deleting it can
 * hang the POSIX port of FreeRTOS-Kernel V11.1.0 for good (the cancelled
 * idle thread dies holding its event mutex, vPortCancelThread waits on it:
 * FreeRTOS-Kernel issue #1217, fixed in V11.2.0); the example deletes no
 * task of its own. */
#define INCLUDE_vTaskDelete 0
#define INCLUDE_vTaskSuspend 1
#define INCLUDE_xTaskGetSchedulerState 1
#define INCLUDE_xTaskGetCurrentTaskHandle 1
#define INCLUDE_uxTaskGetStackHighWaterMark 1

/* Interrupt priorities (unused by the POSIX port, required by Cortex-M ports). */
#define configKERNEL_INTERRUPT_PRIORITY 255
#define configMAX_SYSCALL_INTERRUPT_PRIORITY 191

/* Assertions end the program with a message (see main.c). */
void vAssertCalled(const char *file, unsigned long line);
#define configASSERT(x)                        \
    do {                                       \
        if ((x) == 0)                          \
            vAssertCalled(__FILE__, __LINE__); \
    } while (0)

#endif /* FREERTOS_CONFIG_H */
